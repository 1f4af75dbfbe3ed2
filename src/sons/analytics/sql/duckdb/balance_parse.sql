-- DuckDB reading step: the paid balances' cells, read as text, parsed here (dates AAAA-MM-JJ or
-- JJ/MM/AAAA, amounts in euros with a comma or a dot, lists split on « | »). A cell that does
-- not parse keeps its text and gets a NULL value: the portable checks report it, placed.
CREATE OR REPLACE TEMP TABLE balance_rows AS
WITH cleaned AS (
  SELECT
    *,
    regexp_replace(
      replace(regexp_replace(UPPER(amount_text), '(€|EUR)$', ''), ',', '.'),
      '[\s\x{00A0}\x{202F}]+', '', 'g'
    ) AS amount_clean
  FROM balance_input
),
parsed AS (
  SELECT
    *,
    CAST(COALESCE(try_strptime(ordered_text, '%Y-%m-%d'), try_strptime(ordered_text, '%d/%m/%Y'))
      AS DATE) AS ordered_on,
    CAST(COALESCE(try_strptime(installed_text, '%Y-%m-%d'),
      try_strptime(installed_text, '%d/%m/%Y')) AS DATE) AS installed_on,
    CAST(COALESCE(try_strptime(paid_text, '%Y-%m-%d'), try_strptime(paid_text, '%d/%m/%Y'))
      AS DATE) AS paid_on
  FROM cleaned
)
SELECT
  source_file,
  source_row,
  request_id,
  vendor_siret,
  COALESCE(regexp_full_match(vendor_siret, '[0-9]{14}'), false) AS vendor_siret_ok,
  vendor_name,
  dispositif_text,
  UPPER(dispositif_text) AS dispositif_key,
  legal_status_text,
  strip_accents(legal_status_text) AS legal_status_key,
  finess_ej,
  es_pmsi_text,
  sites_text,
  flows_text,
  ordered_text,
  ordered_on,
  installed_text,
  installed_on,
  paid_text,
  paid_on,
  CAST(date_trunc('month', COALESCE(installed_on, paid_on)) AS DATE) AS reference_month,
  amount_text,
  CASE
    WHEN regexp_full_match(amount_clean, '[0-9]+([.][0-9]{1,2})?')
      THEN CAST(CAST(amount_clean AS DECIMAL(18, 2)) * 100 AS BIGINT)
  END AS amount_cents
FROM parsed;

CREATE OR REPLACE TEMP TABLE balance_site_rows AS
SELECT DISTINCT source_file, source_row, item AS finess_et
FROM (
  SELECT source_file, source_row, UPPER(unnest(string_split_regex(sites_text, '[|,;\s]+'))) AS item
  FROM balance_rows
) split
WHERE item <> '';

CREATE OR REPLACE TEMP TABLE balance_es_pmsi_rows AS
SELECT DISTINCT source_file, source_row, item AS finess
FROM (
  SELECT source_file, source_row, UPPER(unnest(string_split_regex(es_pmsi_text, '[|,;\s]+')))
    AS item
  FROM balance_rows
) split
WHERE item <> '';

CREATE OR REPLACE TEMP TABLE balance_flow_rows AS
SELECT DISTINCT
  source_file,
  source_row,
  item AS item_text,
  NULLIF(TRIM(split_part(item, ':', 1)), '') AS flow_text,
  NULLIF(TRIM(split_part(item, ':', 2)), '') AS route_text
FROM (
  SELECT source_file, source_row, LOWER(unnest(string_split_regex(flows_text, '[|,;\s]+')))
    AS item
  FROM balance_rows
) split
WHERE item <> '';

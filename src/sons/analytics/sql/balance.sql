-- Portable SQL. One row per paid balance, as the controls read it (run once the checks pass):
-- the dispositif's code, the legal status, the EJ (given, or that of its sites), the date the
-- statistics are counted from (installation, else payment of the balance) and the date whose
-- rules apply (the order's, else the same).
WITH site_ej AS (
  SELECT s.source_row, MIN(e.finess_ej) AS finess_ej
  FROM balance_site_rows s
  JOIN establishment e ON e.finess_et = s.finess_et
  GROUP BY s.source_row
)
SELECT
  b.source_row,
  b.request_id,
  b.vendor_siret,
  b.vendor_name,
  d.dispositif,
  b.dispositif_key,
  s.legal_status,
  b.es_pmsi_text IS NOT NULL AS es_pmsi_given,
  COALESCE(b.finess_ej, j.finess_ej) AS finess_ej,
  COALESCE(b.installed_on, b.paid_on) AS reference_date,
  CASE WHEN b.installed_on IS NOT NULL THEN 'installation' ELSE 'paiement' END
    AS reference_source,
  b.reference_month,
  COALESCE(b.ordered_on, b.installed_on, b.paid_on) AS rules_date,
  b.amount_cents
FROM balance_rows b
JOIN dispositif_code d ON d.dispositif_key = b.dispositif_key
LEFT JOIN legal_status_code s ON s.status_key = b.legal_status_key
LEFT JOIN site_ej j ON j.source_row = b.source_row

-- Portable SQL. Every cell of the paid balances that cannot be used: one row per problem, the
-- first ${limit} of each kind (in file order) with the total of that kind.
-- Inputs: balance_rows (one per balance, parsed), balance_site_rows, balance_flow_rows,
-- balance_es_pmsi_rows (the lists, one item per row), establishment, and the lookups
-- dispositif_code, flow_code, route_code, legal_status_code.
WITH first_rows AS (
  SELECT source_row, MIN(source_row) OVER (PARTITION BY request_id) AS first_row, request_id
  FROM balance_rows
  WHERE request_id IS NOT NULL
),
site_counts AS (
  SELECT source_row, COUNT(*) AS sites FROM balance_site_rows GROUP BY source_row
),
flow_counts AS (
  SELECT source_row, COUNT(*) AS flows FROM balance_flow_rows GROUP BY source_row
),
known_ej AS (
  SELECT DISTINCT finess_ej FROM establishment
),
site_ej AS (
  SELECT s.source_row, MIN(e.finess_ej) AS lowest_ej, MAX(e.finess_ej) AS highest_ej
  FROM balance_site_rows s
  JOIN establishment e ON e.finess_et = s.finess_et
  GROUP BY s.source_row
),
problems AS (
  SELECT b.source_file, b.source_row, 'demande' AS column_name, NULL AS value_text,
    'request_missing' AS problem, NULL AS other_text, NULL AS other_row
  FROM balance_rows b
  WHERE b.request_id IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'demande', b.request_id, 'request_duplicate', NULL,
    f.first_row
  FROM balance_rows b
  JOIN first_rows f ON f.source_row = b.source_row
  WHERE f.first_row <> b.source_row
  UNION ALL
  SELECT b.source_file, b.source_row, 'siret_fournisseur', b.vendor_siret, 'siret_invalid',
    NULL, NULL
  FROM balance_rows b
  WHERE NOT b.vendor_siret_ok
  UNION ALL
  SELECT b.source_file, b.source_row, 'dispositif', b.dispositif_text,
    CASE WHEN b.dispositif_text IS NULL THEN 'value_missing' ELSE 'dispositif_unknown' END,
    NULL, NULL
  FROM balance_rows b
  LEFT JOIN dispositif_code d ON d.dispositif_key = b.dispositif_key
  WHERE d.dispositif_key IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'date_commande', b.ordered_text, 'date_invalid', NULL, NULL
  FROM balance_rows b
  WHERE b.ordered_text IS NOT NULL AND b.ordered_on IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'date_installation', b.installed_text, 'date_invalid',
    NULL, NULL
  FROM balance_rows b
  WHERE b.installed_text IS NOT NULL AND b.installed_on IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'date_paiement', b.paid_text, 'date_invalid', NULL, NULL
  FROM balance_rows b
  WHERE b.paid_text IS NOT NULL AND b.paid_on IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'date_installation', NULL, 'reference_date_missing',
    NULL, NULL
  FROM balance_rows b
  WHERE b.installed_text IS NULL AND b.paid_text IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'montant_solde', b.amount_text, 'amount_invalid', NULL,
    NULL
  FROM balance_rows b
  WHERE b.amount_text IS NOT NULL AND b.amount_cents IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'statut_juridique', b.legal_status_text, 'status_invalid',
    NULL, NULL
  FROM balance_rows b
  LEFT JOIN legal_status_code s ON s.status_key = b.legal_status_key
  WHERE b.legal_status_text IS NOT NULL AND s.status_key IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'statut_juridique', NULL, 'es_pmsi_underivable', NULL,
    NULL
  FROM balance_rows b
  WHERE b.es_pmsi_text IS NULL AND b.legal_status_text IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'sites_et', b.sites_text, 'sites_missing', NULL, NULL
  FROM balance_rows b
  LEFT JOIN site_counts c ON c.source_row = b.source_row
  WHERE c.source_row IS NULL
  UNION ALL
  SELECT s.source_file, s.source_row, 'sites_et', s.finess_et, 'site_unknown', NULL, NULL
  FROM balance_site_rows s
  LEFT JOIN establishment e ON e.finess_et = s.finess_et
  WHERE e.finess_et IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'flux_installes', b.flows_text, 'flows_missing', NULL,
    NULL
  FROM balance_rows b
  LEFT JOIN flow_counts c ON c.source_row = b.source_row
  WHERE c.source_row IS NULL
  UNION ALL
  SELECT f.source_file, f.source_row, 'flux_installes', f.item_text, 'flow_invalid', NULL, NULL
  FROM balance_flow_rows f
  LEFT JOIN flow_code fc ON fc.flow = f.flow_text
  LEFT JOIN route_code rc ON rc.route_text = f.route_text
  WHERE fc.flow IS NULL OR rc.route_text IS NULL
  UNION ALL
  SELECT p.source_file, p.source_row, 'es_pmsi', p.finess, 'es_pmsi_unknown', NULL, NULL
  FROM balance_es_pmsi_rows p
  LEFT JOIN establishment e ON e.finess_et = p.finess
  LEFT JOIN known_ej k ON k.finess_ej = p.finess
  WHERE e.finess_et IS NULL AND k.finess_ej IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'finess_ej', b.finess_ej, 'ej_unknown', NULL, NULL
  FROM balance_rows b
  LEFT JOIN known_ej k ON k.finess_ej = b.finess_ej
  WHERE b.finess_ej IS NOT NULL AND k.finess_ej IS NULL
  UNION ALL
  SELECT b.source_file, b.source_row, 'sites_et', j.lowest_ej, 'ej_ambiguous', j.highest_ej, NULL
  FROM balance_rows b
  JOIN legal_status_code s ON s.status_key = b.legal_status_key
  JOIN site_ej j ON j.source_row = b.source_row
  WHERE s.legal_status = 'public' AND b.es_pmsi_text IS NULL AND b.finess_ej IS NULL
    AND j.lowest_ej <> j.highest_ej
  UNION ALL
  SELECT b.source_file, b.source_row, 'sites_et', st.finess_et, 'site_other_ej', e.finess_ej,
    NULL
  FROM balance_rows b
  JOIN legal_status_code s ON s.status_key = b.legal_status_key
  JOIN balance_site_rows st ON st.source_row = b.source_row
  JOIN establishment e ON e.finess_et = st.finess_et
  WHERE s.legal_status = 'public' AND b.es_pmsi_text IS NULL AND b.finess_ej IS NOT NULL
    AND e.finess_ej <> b.finess_ej
),
ranked AS (
  SELECT
    p.*,
    ROW_NUMBER() OVER (PARTITION BY p.problem ORDER BY p.source_row, p.column_name, p.value_text)
      AS rank_in_problem,
    COUNT(*) OVER (PARTITION BY p.problem) AS problem_total
  FROM problems p
)
SELECT *
FROM ranked
WHERE rank_in_problem <= ${limit}
ORDER BY source_row, column_name, value_text

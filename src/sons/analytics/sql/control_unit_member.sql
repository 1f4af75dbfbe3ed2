-- Portable SQL. The establishments whose statistics each balance is controlled on, per level:
--   es_pmsi — the ES-PMSI (PRIMER §9): given by the balance, or derived: a public client
--             reports under its EJ (every ET of that EJ in the directory), a private one under
--             each of its sites (ET); a given number that is an EJ of the directory stands for
--             all its ETs;
--   site    — each site of the balance on its own;
--   client  — all the sites of the balance together.
WITH known_ej AS (
  SELECT DISTINCT finess_ej FROM establishment
),
es_pmsi_unit AS (
  SELECT p.source_row, p.finess AS unit_id,
    CASE WHEN k.finess_ej IS NOT NULL THEN 'EJ' ELSE 'ET' END AS unit_kind
  FROM balance_es_pmsi_rows p
  LEFT JOIN known_ej k ON k.finess_ej = p.finess
  UNION ALL
  SELECT b.source_row, b.finess_ej, 'EJ'
  FROM balance b
  WHERE NOT b.es_pmsi_given AND b.legal_status = 'public'
  UNION ALL
  SELECT s.source_row, s.finess_et, 'ET'
  FROM balance_site_rows s
  JOIN balance b ON b.source_row = s.source_row
  WHERE NOT b.es_pmsi_given AND b.legal_status = 'private'
)
SELECT DISTINCT u.source_row, 'es_pmsi' AS control_level, u.unit_id, u.unit_kind, e.finess_et
FROM es_pmsi_unit u
JOIN establishment e ON e.finess_ej = u.unit_id
WHERE u.unit_kind = 'EJ'
UNION ALL
SELECT DISTINCT u.source_row, 'es_pmsi', u.unit_id, u.unit_kind, u.unit_id
FROM es_pmsi_unit u
WHERE u.unit_kind = 'ET'
UNION ALL
SELECT DISTINCT s.source_row, 'site', s.finess_et, 'ET', s.finess_et
FROM balance_site_rows s
UNION ALL
SELECT DISTINCT s.source_row, 'client', b.request_id, 'SOLDE', s.finess_et
FROM balance_site_rows s
JOIN balance b ON b.source_row = s.source_row

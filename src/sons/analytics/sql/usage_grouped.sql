-- Portable SQL. The one full scan of the statistics: rows summed per establishment, flow,
-- month and lane of programs (software versions added up), with, per group, what tells whether
-- a row of it breaks a row-level rule (a missing count, a negative count, more INS-qualified
-- documents than documents) and the OR of its programs' bits (usage_software), from which the
-- duplicate check counts the programs without grouping the rows one by one. The checks then
-- join these groups — a few million at national scale — with the directory and the lookups
-- instead of every row; only a broken rule sends a query back to the rows, for its exact count
-- and first places. The controls read the sums. The EJ written in the files is a key too (it
-- depends on the ET): an EJ that differs from the directory's shows without a costly minimum
-- of text per group.
-- (BIT_OR: Trino bitwise_or_agg, Spark SQL bit_or.)
SELECT
  u.finess_et,
  u.finess_ej,
  u.flow,
  u.month_text,
  s.software_lane,
  COUNT(*) AS row_count,
  BIT_OR(s.software_bit) AS software_mask,
  SUM(u.documents) AS documents,
  SUM(u.ins_documents) AS ins_documents,
  COUNT(u.documents) AS rows_with_documents,
  COUNT(u.documents + u.ins_documents) AS rows_with_both_counts,
  MIN(u.documents) AS lowest_documents,
  MIN(u.ins_documents) AS lowest_ins_documents,
  MAX(u.ins_documents - u.documents) AS highest_ins_excess
FROM usage_rows u
JOIN usage_software s ON s.software_key = u.software_key
GROUP BY u.finess_et, u.finess_ej, u.flow, u.month_text, s.software_lane

-- Portable SQL. The one full scan of the statistics: rows summed per establishment, flow and
-- month (software versions added up), with, per group, what tells whether a row of it breaks
-- a row-level rule (a missing count, a negative count, more INS-qualified documents than
-- documents). The checks then join these groups — a few million at national scale — with the
-- directory and the lookups instead of every row; only a broken rule sends a query back to the
-- rows, for its exact count and first places. The controls read the sums. The EJ written in
-- the files is a key too (it depends on the ET): an EJ that differs from the directory's shows
-- without a costly minimum of text per group.
SELECT
  finess_et,
  finess_ej,
  flow,
  month_text,
  COUNT(*) AS row_count,
  SUM(documents) AS documents,
  SUM(ins_documents) AS ins_documents,
  COUNT(documents) AS rows_with_documents,
  COUNT(documents + ins_documents) AS rows_with_both_counts,
  MIN(documents) AS lowest_documents,
  MIN(ins_documents) AS lowest_ins_documents,
  MAX(ins_documents - documents) AS highest_ins_excess
FROM usage_rows
GROUP BY finess_et, finess_ej, flow, month_text

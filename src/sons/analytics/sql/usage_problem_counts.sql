-- Portable SQL. Which rules the statistics break (the number of groups breaking each; the
-- exact number of rows comes with the examples), and which months the files cover — from the
-- groups of usage_grouped joined with usage_month (each month as written → its first day, NULL
-- when malformed), usage_flow (the known flows) and establishment (the directory).
WITH flagged AS (
  SELECT
    g.row_count,
    m.month_start,
    CASE
      WHEN g.month_text IS NULL OR g.finess_et IS NULL OR g.flow IS NULL THEN 1
      WHEN f.ins_required AND g.rows_with_both_counts < g.row_count THEN 1
      WHEN g.rows_with_documents < g.row_count THEN 1
      ELSE 0
    END AS value_missing,
    CASE WHEN g.month_text IS NOT NULL AND m.month_start IS NULL THEN 1 ELSE 0 END
      AS month_invalid,
    CASE WHEN g.finess_et IS NOT NULL AND e.finess_et IS NULL THEN 1 ELSE 0 END
      AS finess_unknown,
    CASE WHEN g.flow IS NOT NULL AND f.flow IS NULL THEN 1 ELSE 0 END AS flow_unknown,
    CASE WHEN g.lowest_documents < 0 OR g.lowest_ins_documents < 0 THEN 1 ELSE 0 END
      AS count_negative,
    CASE WHEN g.highest_ins_excess > 0 THEN 1 ELSE 0 END AS ins_exceeds,
    CASE
      WHEN g.finess_ej IS NOT NULL AND e.finess_ej IS NOT NULL AND g.finess_ej <> e.finess_ej
        THEN 1
      ELSE 0
    END AS ej_mismatch
  FROM usage_grouped g
  LEFT JOIN usage_month m ON m.month_text = g.month_text
  LEFT JOIN establishment e ON e.finess_et = g.finess_et
  LEFT JOIN usage_flow f ON f.flow = g.flow
)
SELECT
  COALESCE(SUM(row_count), 0) AS rows_read,
  COALESCE(SUM(value_missing), 0) AS value_missing,
  COALESCE(SUM(month_invalid), 0) AS month_invalid,
  COALESCE(SUM(finess_unknown), 0) AS finess_unknown,
  COALESCE(SUM(flow_unknown), 0) AS flow_unknown,
  COALESCE(SUM(count_negative), 0) AS count_negative,
  COALESCE(SUM(ins_exceeds), 0) AS ins_exceeds,
  COALESCE(SUM(ej_mismatch), 0) AS ej_mismatch,
  MIN(month_start) AS first_month,
  MAX(month_start) AS last_month
FROM flagged

-- Portable SQL. Directory rows that cannot be used: a number missing, or one ET given two
-- different EJs (the ES-PMSI of a public client would then be ambiguous), reported on every
-- row after the ET's first.
WITH spread AS (
  SELECT
    r.*,
    MIN(r.finess_ej) OVER (PARTITION BY r.finess_et) AS lowest_ej,
    MAX(r.finess_ej) OVER (PARTITION BY r.finess_et) AS highest_ej,
    MIN(r.source_row) OVER (PARTITION BY r.finess_et) AS first_row
  FROM establishment_rows r
)
SELECT
  source_file,
  source_row,
  finess_et,
  finess_ej,
  lowest_ej,
  highest_ej,
  first_row,
  CASE WHEN finess_et IS NULL OR finess_ej IS NULL THEN 'value_missing' ELSE 'ej_conflict' END
    AS problem
FROM spread
WHERE finess_et IS NULL
  OR finess_ej IS NULL
  OR (finess_et IS NOT NULL AND lowest_ej <> highest_ej AND source_row > first_row)
ORDER BY source_file, source_row
LIMIT ${limit}

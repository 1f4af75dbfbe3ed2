-- Portable SQL. The directory as the controls read it: one row per ET, with its EJ.
SELECT
  finess_et,
  MIN(finess_ej) AS finess_ej,
  MIN(name) AS name
FROM establishment_rows
WHERE finess_et IS NOT NULL AND finess_ej IS NOT NULL
GROUP BY finess_et

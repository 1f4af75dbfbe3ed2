-- Portable SQL. Rows sharing establishment, flow, software and month — the same period counted
-- twice (a repeated line, or two files covering the same month) — looked for first on
-- row_key, the reading step's hash of those columns: candidate keys, confirmed afterwards.
SELECT COUNT(*) AS candidate_keys
FROM (
  SELECT row_key
  FROM usage_rows
  GROUP BY row_key
  HAVING COUNT(*) > 1
) candidates

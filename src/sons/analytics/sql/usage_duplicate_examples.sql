-- Portable SQL. Confirmed duplicates among the candidate periods of usage_duplicate_count
-- (compared on the columns, NULL-safe: two rows without a software reference are the same
-- key), with the total of duplicated keys and every place of the first ${limit} of them.
-- Run only when there are candidates: it reads the rows of those periods again.
WITH candidates AS (
  SELECT finess_et, flow, month_text, software_lane
  FROM usage_grouped
  GROUP BY finess_et, flow, month_text, software_lane
  HAVING SUM(row_count) > bit_count(BIT_OR(software_mask))
),
candidate_rows AS (
  SELECT u.*
  FROM usage_rows u
  JOIN usage_software s ON s.software_key = u.software_key
  JOIN candidates c
    ON c.finess_et IS NOT DISTINCT FROM u.finess_et
    AND c.flow IS NOT DISTINCT FROM u.flow
    AND c.month_text IS NOT DISTINCT FROM u.month_text
    AND c.software_lane = s.software_lane
),
duplicated AS (
  SELECT finess_et, flow, software_ref, software_version, month_text
  FROM candidate_rows
  GROUP BY finess_et, flow, software_ref, software_version, month_text
  HAVING COUNT(*) > 1
),
first_keys AS (
  SELECT *
  FROM duplicated
  ORDER BY finess_et, flow, month_text, software_ref, software_version
  LIMIT ${limit}
)
SELECT
  k.finess_et,
  k.flow,
  k.software_ref,
  k.software_version,
  k.month_text,
  u.source_file,
  u.source_row,
  (SELECT COUNT(*) FROM duplicated) AS duplicated_keys
FROM first_keys k
JOIN candidate_rows u
  ON u.finess_et IS NOT DISTINCT FROM k.finess_et
  AND u.flow IS NOT DISTINCT FROM k.flow
  AND u.software_ref IS NOT DISTINCT FROM k.software_ref
  AND u.software_version IS NOT DISTINCT FROM k.software_version
  AND u.month_text IS NOT DISTINCT FROM k.month_text
ORDER BY k.finess_et, k.flow, k.month_text, k.software_ref, k.software_version,
  u.source_file, u.source_row

-- Portable SQL. Periods (establishment, flow, month) where some program sends twice — a
-- repeated line, or two files covering the same month: a period has fewer distinct programs
-- (bits set in the OR of its rows' bits, across the EJs written) than rows. Candidates only:
-- usage_duplicate_examples confirms them on the columns.
-- (bit_count: Trino bit_count(x, 64), Spark SQL bit_count; BIT_OR as in usage_grouped.)
SELECT COUNT(*) AS candidate_keys
FROM (
  SELECT finess_et, flow, month_text, software_lane
  FROM usage_grouped
  GROUP BY finess_et, flow, month_text, software_lane
  HAVING SUM(row_count) > bit_count(BIT_OR(software_mask))
) candidates

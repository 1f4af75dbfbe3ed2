-- Portable SQL. The sending programs the statistics name (reference number and version, by
-- their `software_key`), numbered and spread over lanes of 63: each gets one bit of a BIGINT in
-- its lane. A national history names a few dozen programs, so every row of a period falls in
-- lane 0, and a period's rows are told apart by OR-ing their bits (usage_grouped) — a duplicate
-- sets a bit already set. (Trino and Spark SQL: the same query.)
SELECT
  software_key,
  CAST(FLOOR(software_rank / 63) AS INTEGER) AS software_lane,
  CAST(POWER(2, software_rank % 63) AS BIGINT) AS software_bit
FROM (
  SELECT software_key, ROW_NUMBER() OVER (ORDER BY software_key) - 1 AS software_rank
  FROM (SELECT DISTINCT software_key FROM usage_rows) keys
) ranked

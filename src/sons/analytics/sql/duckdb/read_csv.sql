-- DuckDB reading step: one CSV file with the documented column types, read once into a table.
-- Values that do not fit their type (and lines with too many or too few fields) are set aside
-- in the rejects table instead of stopping at the first one, so that every one is reported.
-- The row number is the line number (the header is line 1): DuckDB numbers the rows of a
-- single scan in file order (streaming window).
CREATE OR REPLACE TEMP TABLE ${table} AS
SELECT
  ${label} AS source_file,
  CAST(row_number() OVER () + 1 AS BIGINT) AS source_row,
  ${columns}
FROM read_csv(
  ${path},
  header = true,
  delim = ${delimiter},
  quote = '"',
  escape = '"',
  columns = ${types},
  auto_detect = false,
  store_rejects = true,
  rejects_table = ${rejects_table},
  rejects_scan = ${rejects_scan}
)

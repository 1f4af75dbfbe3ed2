-- DuckDB reading step: `row_key`, a 64-bit hash of the columns that identify a row. Duplicates
-- are first looked for on this one number (cheap to group 50 million of), then confirmed on
-- the columns themselves, so a hash collision can never be reported as a duplicate.
-- (Trino: xxhash64 of the concatenated columns; Spark SQL: xxhash64(col, …).)
SELECT
  read_rows.*,
  hash(${key_columns}) AS row_key
FROM (
${body}
) read_rows

-- DuckDB reading step: `software_key`, a 64-bit hash of the sending software (reference number
-- and version, NULLs included). The duplicate check numbers the few distinct keys
-- (usage_software) and folds them into bit masks while grouping, instead of grouping the 50
-- million rows one by one. A hash collision can only make two programs look alike, so it can
-- raise a false alarm, which the check then clears on the columns themselves — never hide a
-- duplicate. (Trino: xxhash64 of the concatenated columns; Spark SQL: xxhash64(col, …).)
SELECT
  read_rows.*,
  hash(${key_columns}) AS software_key
FROM (
${body}
) read_rows

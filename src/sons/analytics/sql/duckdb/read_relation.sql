-- DuckDB reading step: a relation handed over by the caller (e.g. the store's export).
SELECT
  ${label} AS source_file,
  CAST(row_number() OVER () AS BIGINT) AS source_row,
  ${columns}
FROM ${view}

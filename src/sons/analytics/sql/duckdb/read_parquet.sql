-- DuckDB reading step: one Parquet file, each row placed by its record number (from 1).
-- The file is scanned, never copied: the later steps read this as a view.
SELECT
  ${label} AS source_file,
  file_row_number + 1 AS source_row,
  ${columns}
FROM read_parquet(${path}, file_row_number = true)

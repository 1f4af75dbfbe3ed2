"""Usage statistics and the payment operator's a-posteriori controls, as data work (DuckDB).

`controls.run_controls` is the entry point; `sql/` holds the portable SQL it runs and
`sql/duckdb/` the DuckDB-specific reading step (docs/controles-a-posteriori.md).
"""

-- Portable SQL. One row per statistics row, with a 0/1 flag per rule it breaks.
-- Inputs: usage_rows (the files, one row each), usage_month (each month as written → its first
-- day, NULL when malformed), usage_flow (the known flows), establishment (the directory).
SELECT
  u.source_file,
  u.source_row,
  u.month_text,
  m.month_start,
  u.finess_et,
  u.finess_ej,
  e.finess_ej AS directory_ej,
  u.flow,
  u.documents,
  u.ins_documents,
  u.software_ref,
  u.software_version,
  CASE
    WHEN u.month_text IS NULL OR u.finess_et IS NULL OR u.flow IS NULL OR u.documents IS NULL
      OR (u.ins_documents IS NULL AND f.ins_required) THEN 1
    ELSE 0
  END AS value_missing,
  CASE WHEN u.month_text IS NOT NULL AND m.month_start IS NULL THEN 1 ELSE 0 END AS month_invalid,
  CASE WHEN u.finess_et IS NOT NULL AND e.finess_et IS NULL THEN 1 ELSE 0 END AS finess_unknown,
  CASE WHEN u.flow IS NOT NULL AND f.flow IS NULL THEN 1 ELSE 0 END AS flow_unknown,
  CASE WHEN u.documents < 0 OR u.ins_documents < 0 THEN 1 ELSE 0 END AS count_negative,
  CASE WHEN u.ins_documents > u.documents THEN 1 ELSE 0 END AS ins_exceeds,
  CASE
    WHEN u.finess_ej IS NOT NULL AND e.finess_ej IS NOT NULL AND u.finess_ej <> e.finess_ej
      THEN 1
    ELSE 0
  END AS ej_mismatch
FROM usage_rows u
LEFT JOIN usage_month m ON m.month_text = u.month_text
LEFT JOIN establishment e ON e.finess_et = u.finess_et
LEFT JOIN usage_flow f ON f.flow = u.flow

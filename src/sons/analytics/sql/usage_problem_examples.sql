-- Portable SQL. The rows breaking one rule: how many, and the first ${limit} in file order.
-- ${flag} is one of the flag columns of usage_checked. Run only for a rule the groups show
-- broken, so a valid national history is never read row by row.
SELECT
  source_file,
  source_row,
  month_text,
  finess_et,
  finess_ej,
  directory_ej,
  flow,
  documents,
  ins_documents,
  software_ref,
  software_version,
  COUNT(*) OVER () AS rows_breaking
FROM usage_checked
WHERE ${flag} = 1
ORDER BY source_file, source_row
LIMIT ${limit}

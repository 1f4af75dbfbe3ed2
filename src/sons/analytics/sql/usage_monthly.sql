-- Portable SQL. The statistics as the controls read them (once every check has passed): per
-- establishment, flow and month (its first day), one row per EJ written in the files and lane
-- of programs (one lane unless the files name more than 63 programs); the controls add them up.
SELECT
  g.finess_et,
  g.flow,
  m.month_start,
  g.documents,
  g.ins_documents
FROM usage_grouped g
JOIN usage_month m ON m.month_text = g.month_text

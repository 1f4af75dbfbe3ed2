-- Portable SQL. The a-posteriori controls: one row per paid balance × installed flow whose
-- condition (in force at the balance's order date) carries an a-posteriori control × unit of
-- the control's level (an ES-PMSI, a site, or the balance's sites together).
-- Statistics count from the month of the balance's reference date (installation, else payment;
-- monthly statistics cannot split a month) up to the cut-off month when one is set.
-- Verdicts: données absentes (no statistics row at all for the unit and the flow over that
-- period), conforme (the documents counted — INS-qualified ones when the condition requires
-- INS qualifiée — reach the threshold), non conforme otherwise.
-- Inputs: balance, balance_flow, control_unit_member, control_condition, usage_monthly,
-- control_run (one row: cutoff_date, cutoff_month, last_usage_month).
WITH controlled AS (
  SELECT
    b.source_row,
    b.request_id,
    b.vendor_siret,
    b.vendor_name,
    b.dispositif,
    b.reference_date,
    b.reference_source,
    b.reference_month,
    b.rules_date,
    b.amount_cents,
    c.condition_key,
    c.condition_id,
    c.flow,
    c.route,
    c.statistics_kind,
    c.statistics_label,
    c.usage_flow,
    c.control_level,
    c.level_label,
    c.level_inferred,
    c.threshold,
    c.ins_qualified,
    r.cutoff_month,
    r.last_usage_month
  FROM balance b
  JOIN balance_flow f ON f.source_row = b.source_row
  JOIN control_condition c
    ON c.dispositif_key = b.dispositif_key
    AND c.flow = f.flow
    AND c.route = f.route
    AND (c.valid_from IS NULL OR c.valid_from <= b.rules_date)
    AND (c.valid_until IS NULL OR b.rules_date <= c.valid_until)
  CROSS JOIN control_run r
  WHERE r.cutoff_date IS NULL OR b.reference_date <= r.cutoff_date
),
units AS (
  SELECT source_row, control_level, unit_id, unit_kind, COUNT(*) AS establishments
  FROM control_unit_member
  GROUP BY source_row, control_level, unit_id, unit_kind
),
figures AS (
  -- each controlled unit's statistics over the period, its establishments added up
  SELECT
    ct.source_row,
    ct.condition_key,
    m.unit_id,
    COUNT(*) AS rows_seen,
    SUM(s.documents) AS documents,
    SUM(s.ins_documents) AS ins_documents,
    MIN(s.month_start) AS first_month_start,
    MAX(s.month_start) AS last_month_start
  FROM controlled ct
  JOIN control_unit_member m
    ON m.source_row = ct.source_row AND m.control_level = ct.control_level
  JOIN usage_monthly s
    ON s.finess_et = m.finess_et
    AND s.flow = ct.usage_flow
    AND s.month_start >= ct.reference_month
    AND (ct.cutoff_month IS NULL OR s.month_start <= ct.cutoff_month)
  GROUP BY ct.source_row, ct.condition_key, m.unit_id
),
counted AS (
  SELECT
    ct.*,
    u.unit_id,
    u.unit_kind,
    u.establishments,
    COALESCE(f.rows_seen, 0) AS rows_seen,
    COALESCE(f.documents, 0) AS documents,
    f.ins_documents,
    fm.month_text AS first_month,
    lm.month_text AS last_month,
    CASE
      WHEN ct.ins_qualified THEN COALESCE(f.ins_documents, 0)
      ELSE COALESCE(f.documents, 0)
    END AS counted_documents,
    CASE
      WHEN f.rows_seen IS NULL
        AND (ct.last_usage_month IS NULL OR ct.reference_month > ct.last_usage_month) THEN 1
      ELSE 0
    END AS after_coverage
  FROM controlled ct
  JOIN units u ON u.source_row = ct.source_row AND u.control_level = ct.control_level
  LEFT JOIN figures f
    ON f.source_row = ct.source_row
    AND f.condition_key = ct.condition_key
    AND f.unit_id = u.unit_id
  LEFT JOIN usage_month fm ON fm.month_start = f.first_month_start
  LEFT JOIN usage_month lm ON lm.month_start = f.last_month_start
)
SELECT
  counted.*,
  CASE
    WHEN rows_seen = 0 THEN 'donnees_absentes'
    WHEN counted_documents >= threshold THEN 'conforme'
    ELSE 'non_conforme'
  END AS verdict
FROM counted

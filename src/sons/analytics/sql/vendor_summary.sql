-- Portable SQL. Per vendor: balances controlled, controls per verdict, balances with at least
-- one control not conforme, and the amount of those balances when the amounts were given.
WITH per_balance AS (
  SELECT
    source_row,
    vendor_siret,
    MAX(vendor_name) AS vendor_name,
    MAX(amount_cents) AS amount_cents,
    COUNT(*) AS controls,
    SUM(CASE WHEN verdict = 'conforme' THEN 1 ELSE 0 END) AS conforme,
    SUM(CASE WHEN verdict = 'non_conforme' THEN 1 ELSE 0 END) AS non_conforme,
    SUM(CASE WHEN verdict = 'donnees_absentes' THEN 1 ELSE 0 END) AS donnees_absentes
  FROM control_detail
  GROUP BY source_row, vendor_siret
)
SELECT
  vendor_siret,
  MAX(vendor_name) AS vendor_name,
  COUNT(*) AS balances,
  SUM(controls) AS controls,
  SUM(conforme) AS conforme,
  SUM(non_conforme) AS non_conforme,
  SUM(donnees_absentes) AS donnees_absentes,
  SUM(CASE WHEN non_conforme + donnees_absentes > 0 THEN 1 ELSE 0 END) AS balances_at_risk,
  SUM(CASE WHEN non_conforme + donnees_absentes > 0 THEN amount_cents END)
    AS amount_at_stake_cents,
  SUM(CASE WHEN non_conforme + donnees_absentes > 0 AND amount_cents IS NULL THEN 1 ELSE 0 END)
    AS amounts_unknown
FROM per_balance
GROUP BY vendor_siret

-- Portable SQL. The per-vendor summary as the operator reads it.
SELECT
  vendor_siret AS siret_fournisseur,
  vendor_name AS fournisseur,
  balances AS soldes_controles,
  controls AS controles,
  conforme AS conformes,
  non_conforme AS non_conformes,
  donnees_absentes,
  balances_at_risk AS soldes_a_risque,
  CAST(amount_at_stake_cents / 100.0 AS DECIMAL(18, 2)) AS montant_en_jeu,
  amounts_unknown AS montants_non_renseignes
FROM vendor_summary
ORDER BY vendor_siret

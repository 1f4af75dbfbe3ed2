-- Portable SQL. The detail as the operator reads it (CSV, XLSX): French column names, labels.
-- (A view: each report orders it by siret_fournisseur, demande, condition_solde,
-- statistiques, unite_controlee.)
SELECT
  d.request_id AS demande,
  d.vendor_siret AS siret_fournisseur,
  d.vendor_name AS fournisseur,
  d.dispositif,
  d.condition_id AS condition_solde,
  d.flow AS flux,
  d.route AS voie,
  d.statistics_label AS statistiques,
  d.level_label AS niveau,
  CASE WHEN d.level_inferred THEN 'oui' ELSE 'non' END AS niveau_deduit,
  d.unit_id AS unite_controlee,
  d.unit_kind AS type_unite,
  d.establishments AS nb_etablissements,
  d.reference_date AS date_reference,
  d.reference_source AS origine_date,
  d.first_month AS premier_mois,
  d.last_month AS dernier_mois,
  d.documents AS nb_documents,
  d.ins_documents AS nb_documents_ins_qualifiee,
  CASE WHEN d.ins_qualified THEN 'oui' ELSE 'non' END AS ins_qualifiee_exigee,
  d.counted_documents AS nb_retenu,
  d.threshold AS seuil,
  v.label AS verdict,
  CASE
    WHEN d.after_coverage = 1
      THEN 'aucune statistique fournie ne couvre la période après la date de référence'
  END AS remarque,
  CAST(d.amount_cents / 100.0 AS DECIMAL(18, 2)) AS montant_solde
FROM control_detail d
JOIN verdict_label v ON v.verdict = d.verdict

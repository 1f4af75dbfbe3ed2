"""The a-posteriori controls as the referential gives them to the SQL."""

from __future__ import annotations

import dataclasses
import typing

from sons.analytics.conditions import controlled_conditions
from sons.analytics.usage import STATISTICS_FLOWS, STATISTICS_LABELS, UsageFlow
from sons.referential.loader import default_referential
from sons.referential.model import Control


def test_every_statistics_of_the_referential_has_a_flow_and_a_label() -> None:
    annotation = Control.model_fields["statistics"].annotation
    kinds = {a for arg in typing.get_args(annotation) for a in typing.get_args(arg)}
    assert kinds and kinds == set(STATISTICS_FLOWS) == set(STATISTICS_LABELS)


def test_the_seed_tables_a_posteriori_controls() -> None:
    table = controlled_conditions(default_referential())
    rows = {(c.dispositif, c.condition_id, c.statistics): c for c in table.conditions}
    ris_dmp = rows[("RAD-RIS-Va1", "dmp_direct", "dmp")]
    assert (ris_dmp.flow, ris_dmp.route, ris_dmp.threshold, ris_dmp.ins_qualified) == (
        "dmp",
        "direct",
        10,
        True,
    )
    assert ris_dmp.level == "es_pmsi" and ris_dmp.level_inferred
    test_address = rows[("BIO-SGL-Va1", "mss_patient_direct", "test_address")]
    assert (test_address.threshold, test_address.ins_qualified) == (1, False)
    assert test_address.usage_flow == UsageFlow.MSS_PATIENT_TEST
    pfi_mss = rows[("HOP-PFI-Va1", "mss_pro", "mss_trust_space")]
    assert pfi_mss.usage_flow == UsageFlow.MSS_PRO and not pfi_mss.level_inferred
    assert "espace de confiance MSS" in pfi_mss.statistics_label
    assert "ES-PMSI" in rows[("HOP-PFI-Va1", "dmp", "dmp")].control_label
    # Routes through third-party software are checked by the VA only; the DPI has no such
    # control in the seed.
    assert {c.route for c in table.conditions} == {"direct"}
    assert {c.dispositif for c in table.conditions} == {"RAD-RIS-Va1", "BIO-SGL-Va1", "HOP-PFI-Va1"}
    assert table.dispositifs["HOP-DPI-VA1"] == "HOP-DPI-Va1"
    assert table.findings == ()


def test_an_unknown_threshold_is_reported_not_guessed() -> None:
    referential = default_referential()
    dispositif = referential.get("RAD-RIS-Va1")
    conditions = [
        c.model_copy(update={"threshold": None}) if c.id == "dmp_direct" else c
        for c in dispositif.balance.balance_conditions
    ]
    changed = dataclasses.replace(
        dispositif,
        balance=dispositif.balance.model_copy(update={"balance_conditions": conditions}),
    )
    table = controlled_conditions(
        dataclasses.replace(referential, dispositifs={"RAD-RIS-VA1": changed})
    )
    assert ("RAD-RIS-Va1", "dmp_direct") not in {
        (c.dispositif, c.condition_id) for c in table.conditions
    }
    (finding,) = table.findings
    assert finding.code == "CONTROL_THRESHOLD_UNKNOWN" and "dmp_direct" in finding.path

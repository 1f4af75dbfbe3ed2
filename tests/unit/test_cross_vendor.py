"""Cross-vendor controls on requests, without a store: the ledger of Prestations across
vendors (one per client per dispositif), the wave-1 → wave-2 rule of HOP-DPI/PFI, and the
deadlines judged at the filing date, « non renseigné » when the referential does not know."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sons.domain.orders import ClientKind, LegalEntity, LegalStatus
from sons.domain.workflow import RequestKind, Status
from sons.findings import Severity
from sons.referential.loader import default_referential
from sons.services import cross_vendor, intake_checks
from sons.services.cross_vendor import PrestationLedger, deadline_findings, prestation_findings
from sons.store.requests import StoredRequest

PUBLIC_EJ = "750000010"
PRIVATE_EJ = "130000011"
ENTITIES = {
    PUBLIC_EJ: LegalEntity(PUBLIC_EJ, "Centre hospitalier public", LegalStatus.PUBLIC),
    PRIVATE_EJ: LegalEntity(PRIVATE_EJ, "Clinique privée", LegalStatus.PRIVATE),
}
_NOW = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
_next_id = iter(range(1, 1000))


def request(vendor_id: int, order: str, dispositif: str, **changes: Any) -> StoredRequest:
    values: dict[str, Any] = {
        "id": next(_next_id),
        "vendor_id": vendor_id,
        "deposit_id": 1,
        "position": 0,
        "request_ref": f"AV-{order}",
        "kind": RequestKind.ADVANCE,
        "status": Status.FILED,
        "dispositif": dispositif,
        "order_id": None,
        "order_number": order,
        "order_signed_on": dt.date(2022, 6, 15),
        "client_kind": ClientKind.LEGAL_ENTITY.value,
        "client_id": PUBLIC_EJ,
        "sites": ("750000028",),
        "advance_id": None,
        "prestation_ht_cents": 1_000_000,
        "prestation_ttc_cents": 1_200_000,
        "advance_rate": Decimal(30),
        "amount_ht_cents": 300_000,
        "amount_ttc_cents": 360_000,
        "codes": (),
        "version": 1,
        "created_at": _NOW,
        "updated_at": _NOW,
    }
    return StoredRequest(**(values | changes))


def ledger(*requests: StoredRequest) -> PrestationLedger:
    built = PrestationLedger(dict(ENTITIES))
    for item in requests:
        built.add(item)
    return built


def codes(findings: list[Any]) -> list[str]:
    return [f.code for f in findings]


def test_the_same_public_client_with_two_vendors_is_a_duplicate_named_for_the_operator() -> None:
    first = request(1, "BC-1", "RAD-RIS-Va1")
    # Another site of the same public EJ: the ES-PMSI is the EJ, the same client.
    second = request(2, "BC-9", "RAD-RIS-Va1", sites=("750000036",))
    book = ledger(first, second)
    (finding,) = prestation_findings(second, book, default_referential())
    assert finding.code == "CROSS_DUPLICATE_PRESTATION" and finding.severity is Severity.ERROR
    assert finding.path == "AV-BC-9.client"
    assert f"n° {first.id} « AV-BC-1 »" in finding.message
    # Read by the second vendor, the first vendor's request is not identified.
    (told,) = prestation_findings(second, book, default_referential(), reader_vendor_id=2)
    assert "une demande d'un autre fournisseur" in told.message
    assert "AV-BC-1" not in told.message and "BC-1" not in told.message


def test_the_requests_of_one_order_share_one_prestation() -> None:
    advance = request(1, "BC-1", "RAD-RIS-Va1")
    balance = request(1, "BC-1", "RAD-RIS-Va1", kind=RequestKind.BALANCE, request_ref="SO-BC-1")
    assert prestation_findings(balance, ledger(advance, balance), default_referential()) == []


def test_private_sites_are_separate_clients_and_a_cancelled_request_holds_nothing() -> None:
    site_1 = request(1, "BC-1", "RAD-RIS-Va1", client_id=PRIVATE_EJ, sites=("130000029",))
    site_2 = request(2, "BC-2", "RAD-RIS-Va1", client_id=PRIVATE_EJ, sites=("130000037",))
    assert prestation_findings(site_2, ledger(site_1, site_2), default_referential()) == []
    # The ledger of the store only takes live requests; here, a duplicate on the same site.
    same_site = request(2, "BC-3", "RAD-RIS-Va1", client_id=PRIVATE_EJ, sites=("130000029",))
    (finding,) = prestation_findings(same_site, ledger(site_1, same_site), default_referential())
    assert finding.path == "AV-BC-3.sites[0].finess_et"


def test_a_client_missing_from_the_directory_is_not_guessed() -> None:
    unknown = request(1, "BC-1", "RAD-RIS-Va1", client_id="690000013")
    (finding,) = prestation_findings(unknown, ledger(unknown), default_referential())
    assert finding.code == "CROSS_CLIENT_UNKNOWN" and finding.severity is Severity.WARNING


def test_a_wave_1_hop_dpi_client_is_eligible_only_to_the_wave_2_prestation() -> None:
    referential = default_referential()
    wave_1 = request(1, "BC-DPI-1", "HOP-DPI-Va1", order_signed_on=dt.date(2022, 6, 1))
    # Another vendor files a second wave-1 DPI Prestation for the same hospital: refused, and
    # the message names the wave-2 dispositif of the referential.
    again = request(2, "BC-DPI-2", "HOP-DPI-Va1", order_signed_on=dt.date(2022, 9, 1))
    (refused,) = prestation_findings(again, ledger(wave_1, again), referential)
    assert refused.code == "CROSS_WAVE1_WAVE2_ONLY" and refused.severity is Severity.ERROR
    assert "HOP-DPI-Va2" in refused.message
    # The wave-2 Prestation is what it may have: accepted, with an information that the
    # conditions proper to wave-1 beneficiaries are « non renseignées ».
    wave_2 = request(2, "BC-DPI-V2", "HOP-DPI-Va2", order_signed_on=dt.date(2024, 10, 1))
    (told,) = prestation_findings(wave_2, ledger(wave_1, wave_2), referential)
    assert told.code == "CROSS_WAVE2_AFTER_WAVE1" and told.severity is Severity.INFO
    assert "non renseignées" in told.message and "HOP-DPI-Va1" in told.message
    # The rule is per software type: a wave-1 PFI says nothing about a wave-2 DPI.
    pfi = request(1, "BC-PFI-1", "HOP-PFI-Va1")
    assert prestation_findings(wave_2, ledger(pfi, wave_2), referential) == []


def test_the_wave_rule_does_not_reach_other_couloirs() -> None:
    ris = request(1, "BC-1", "RAD-RIS-Va1")
    drimbox = request(2, "BC-2", "RAD-DRIMbox-Va2")
    assert prestation_findings(drimbox, ledger(ris, drimbox), default_referential()) == []


def test_deadlines_are_judged_at_the_filing_date() -> None:
    referential = default_referential()
    advance = request(1, "BC-1", "RAD-RIS-Va1")
    assert deadline_findings(advance, dt.date(2022, 11, 30), referential) == []
    (late,) = deadline_findings(advance, dt.date(2022, 12, 2), referential)
    assert late.code == "CROSS_FILED_AFTER_DEADLINE" and late.severity is Severity.ERROR
    assert "2 jour(s) de retard" in late.message and late.path == "AV-BC-1.date_depot"
    wave_2 = request(1, "BC-2", "HOP-DPI-Va2")
    # Filed before the opening: nothing of HOP-DPI-Va2 is in force yet, its first dated
    # opening (2024-09-12) tells; the deadline in force that day is « non renseigné ».
    early = deadline_findings(wave_2, dt.date(2024, 9, 1), referential)
    assert codes(early) == ["CROSS_FILED_BEFORE_OPENING", "CROSS_DEADLINE_UNKNOWN"]
    assert "12 septembre 2024" in early[0].message
    assert deadline_findings(wave_2, dt.date(2024, 9, 12), referential) == []


def test_an_unknown_deadline_is_said_non_renseigne_never_invented() -> None:
    referential = default_referential()
    balance = request(1, "BC-1", "HOP-DPI-Va2", kind=RequestKind.BALANCE)
    (unknown,) = deadline_findings(balance, dt.date(2025, 6, 1), referential)
    assert unknown.code == "CROSS_DEADLINE_UNKNOWN" and unknown.severity is Severity.INFO
    assert "non renseigné" in unknown.message
    amendment = request(1, "BC-2", "RAD-RIS-Va1", kind=RequestKind.AMENDMENT)
    (none,) = deadline_findings(amendment, dt.date(2023, 1, 5), referential)
    assert none.code == "CROSS_DEADLINE_UNKNOWN"


def test_every_intake_and_cross_vendor_code_is_documented() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "registres.md").read_text(encoding="utf-8")
    codes = {*intake_checks.RULES, *cross_vendor.RULES}
    assert {code for code in codes if f"`{code}`" not in guide} == set()

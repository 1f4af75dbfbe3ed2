"""The workflow of funding requests in the store, on SQLite and PostgreSQL: every transition
journaled with who, motive, reason and file; what the table forbids is refused in French."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from filing_fixtures import ADVANCE_DAY, CODE, VENDOR, pdf, seed_filing
from sons.domain.workflow import (
    TRANSITIONS_BY_ACTION,
    Audience,
    ReasonCode,
    RequestKind,
    Status,
    WorkflowError,
)
from sons.referential.loader import default_referential
from sons.services.deposit_builder import build_deposit
from sons.services.deposits import mark_filed
from sons.services.requests import (
    RequestInputError,
    list_requests,
    repository,
    show_request,
    transition_request,
)
from sons.store.errors import NotFoundError
from sons.store.journal import verify
from sons.store.requests import ConcurrentRequestEditError
from sons.store.unit_of_work import UnitOfWork


@pytest.fixture
def filed(engine: Engine, clock: Any, tmp_path: Path) -> tuple[int, Any]:
    """The vendor's id and its advance for BC-A, built and marked filed."""
    vendor_id = seed_filing(engine, clock)
    built = build_deposit(
        engine,
        vendor_id=vendor_id,
        kind=RequestKind.ADVANCE,
        dispositif=CODE,
        out_dir=tmp_path / "out",
        actor="alice@editeur.fr",
        clock=clock,
        numbers=["BC-A"],
        on=ADVANCE_DAY,
        referential=default_referential(),
    )
    outcome = mark_filed(
        engine, built.deposit.name, vendor_id=vendor_id, actor="alice@editeur.fr", clock=clock
    )
    (request,) = outcome.filed
    return vendor_id, request


def _operator(engine: Engine, ident: str, action: str, clock: Any, **options: Any) -> Any:
    return transition_request(
        engine,
        ident,
        action,
        audience=Audience.OPERATOR,
        vendor_id=None,
        actor="asp:instructeur",
        clock=clock,
        **options,
    )


def test_mark_filed_moves_drafts_once_and_journals_it(
    engine: Engine, clock: Any, filed: tuple[int, Any]
) -> None:
    vendor_id, request = filed
    assert request.status is Status.FILED and request.version == 2
    view = show_request(engine, request.request_ref, vendor_id=vendor_id)
    assert [(h.from_status, h.to_status, h.action) for h in view.history] == [
        (None, Status.DRAFT, "construire"),
        (Status.DRAFT, Status.FILED, "deposer"),
    ]
    assert view.label(Audience.VENDOR) == "Déposée"
    assert view.label(Audience.OPERATOR) == "Reçue, à instruire"
    assert view.deposit.filed_at is not None
    again = mark_filed(engine, view.deposit.name, vendor_id=vendor_id, actor="alice", clock=clock)
    assert again.filed == () and "Déposée" in again.skipped[0][1]
    with UnitOfWork(engine, "lecture", read_only=True) as uow:
        entries = uow.journal.history("funding_request", str(request.id))
    assert [e.after["status"] for e in entries] == ["brouillon", "deposee"]
    assert entries[1].actor == "alice@editeur.fr"
    assert entries[1].after["action"] == "deposer" and entries[1].vendor_id == vendor_id


def test_correction_is_journaled_with_motive_reason_and_file(
    engine: Engine, clock: Any, filed: tuple[int, Any], tmp_path: Path
) -> None:
    vendor_id, request = filed
    notice = tmp_path / "courrier.pdf"
    notice.write_bytes(pdf("Bon de commande illisible"))
    outcome = _operator(
        engine,
        str(request.id),
        "demander-correction",
        clock,
        motive="Le bon de commande n'est pas signé.",
        reason=ReasonCode.INCOMPLETE,
        file=notice,
    )
    assert outcome.after.status is Status.TO_AMEND and outcome.after.version == 3
    view = show_request(engine, str(request.id), vendor_id=vendor_id)
    last = view.history[-1]
    assert last.audience is Audience.OPERATOR and last.actor == "asp:instructeur"
    assert last.motive == "Le bon de commande n'est pas signé."
    assert last.reason is ReasonCode.INCOMPLETE
    assert last.file_name == "courrier.pdf"
    assert last.file_sha256 == hashlib.sha256(notice.read_bytes()).hexdigest()
    with UnitOfWork(engine, "lecture", read_only=True) as uow:
        entry = uow.journal.history("funding_request", str(request.id))[-1]
    assert entry.id == last.journal_entry_id
    assert entry.before == {"status": "deposee", "version": 2}
    assert entry.after["motive"] == last.motive and entry.after["reason"] == "incomplet"
    assert entry.after["file_sha256"] == last.file_sha256
    with UnitOfWork(engine, "lecture", read_only=True) as uow:
        assert verify(uow.session).ok
    # The vendor files again after correcting.
    again = transition_request(
        engine,
        request.request_ref,
        "deposer",
        audience=Audience.VENDOR,
        vendor_id=vendor_id,
        actor="alice",
        clock=clock,
    )
    assert again.after.status is Status.FILED


@pytest.mark.parametrize(
    ("audience", "action", "options", "code", "words"),
    [
        (Audience.VENDOR, "valider", {}, "WORKFLOW_FORBIDDEN", "réservé à l'opérateur"),
        (Audience.OPERATOR, "payer", {}, "WORKFLOW_TRANSITION_INVALID", "« Reçue, à instruire »"),
        (Audience.OPERATOR, "rejeter", {}, "WORKFLOW_MOTIVE_REQUIRED", "exige un motif"),
        (
            Audience.OPERATOR,
            "demander-correction",
            {"motive": "illisible"},
            "WORKFLOW_REASON_REQUIRED",
            "code de motif",
        ),
        (Audience.OPERATOR, "envoyer", {}, "WORKFLOW_UNKNOWN_ACTION", "inconnue"),
    ],
)
def test_forbidden_transitions_are_refused_in_french_and_change_nothing(
    engine: Engine,
    clock: Any,
    filed: tuple[int, Any],
    audience: Audience,
    action: str,
    options: dict[str, Any],
    code: str,
    words: str,
) -> None:
    vendor_id, request = filed
    with pytest.raises(WorkflowError) as refused:
        transition_request(
            engine,
            str(request.id),
            action,
            audience=audience,
            vendor_id=vendor_id if audience is Audience.VENDOR else None,
            actor="quelqu'un",
            clock=clock,
            **options,
        )
    assert refused.value.code == code
    assert words in refused.value.message
    view = show_request(engine, str(request.id), vendor_id=vendor_id)
    assert view.request.status is Status.FILED and view.request.version == request.version
    assert len(view.history) == 2


def test_a_file_on_a_transition_that_takes_none_is_refused(
    engine: Engine, clock: Any, filed: tuple[int, Any], tmp_path: Path
) -> None:
    _, request = filed
    _operator(engine, str(request.id), "instruire", clock)
    _operator(engine, str(request.id), "valider", clock)
    attached = tmp_path / "a.pdf"
    attached.write_bytes(pdf("x"))
    with pytest.raises(WorkflowError) as refused:
        _operator(engine, str(request.id), "payer", clock, file=attached)
    assert refused.value.code == "WORKFLOW_FILE_NOT_ALLOWED"
    paid = _operator(engine, str(request.id), "payer", clock)
    assert paid.after.status is Status.PAID
    assert "Décidée et payée" in paid.message()


def test_a_vendor_sees_and_moves_only_its_own_requests(
    engine: Engine, clock: Any, filed: tuple[int, Any]
) -> None:
    _, request = filed
    other = dataclasses.replace(VENDOR, name="Autre", siret="55210055400013", siren="552100554")
    with UnitOfWork(engine, "amorçage", clock) as uow:
        other_id = uow.vendors.save(other).id
    assert list_requests(engine, vendor_id=other_id) == []
    assert [line.request.id for line in list_requests(engine, vendor_id=None)] == [request.id]
    with pytest.raises(NotFoundError):
        show_request(engine, str(request.id), vendor_id=other_id)
    with pytest.raises(NotFoundError):
        transition_request(
            engine,
            str(request.id),
            "retirer",
            audience=Audience.VENDOR,
            vendor_id=other_id,
            actor="intrus",
            clock=clock,
            motive="essai",
        )
    with pytest.raises(RequestInputError):
        transition_request(
            engine, "1", "retirer", audience=Audience.VENDOR, vendor_id=None, actor="x"
        )


def test_a_stale_version_is_refused(engine: Engine, clock: Any, filed: tuple[int, Any]) -> None:
    _, request = filed
    with pytest.raises(ConcurrentRequestEditError):
        _operator(engine, str(request.id), "instruire", clock, expected_version=1)
    with UnitOfWork(engine, "asp", clock) as uow:
        repo = repository(uow)
        current = repo.get(request.id)
        assert current is not None
        stale = dataclasses.replace(current, version=current.version - 1)
        with pytest.raises(ConcurrentRequestEditError):
            repo.apply(stale, TRANSITIONS_BY_ACTION["instruire"], audience=Audience.OPERATOR)

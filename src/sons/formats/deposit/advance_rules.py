"""Rules that compare a solde or an avenant with the advance on record.

The standalone rules (`rules.py`) see the file alone. When the store knows the advance a
request completes or amends, the service looks it up (`AdvanceOnRecord`, with its avenants
and, once recorded, its evidence) and this module compares, as a pure function of that data
and the file:

- the perimeter: same client as the advance (PRIMER §4, public), sites added or removed;
- the amount: the solde's Prestation at most the amount declared at the advance, or at its
  latest avenant « Décidé et payé » (public);
- the avenants: a solde is refused while the latest avenant of its advance is not « Décidé et
  payé » (public); withdrawn or rejected avenants do not count (our reading, marked so);
- the advance itself: closed (cancelled, rejected, recovered) or not paid yet;
- the evidence the store holds for the order, when it holds any.

Nothing here queries anything: no store, no clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sons.domain.money import format_euros
from sons.domain.orders import ClientKind, directory_key
from sons.domain.workflow import Audience, RequestKind, Status, status_label
from sons.findings import Finding, Severity
from sons.formats.deposit.mapping import json_path
from sons.formats.deposit.model import DepositFile, DepositKind, DepositRequest
from sons.referential.loader import cite
from sons.referential.model import (
    FLOW_LABELS,
    ROUTE_LABELS,
    Evidence,
    Flow,
    Reference,
    Route,
    Source,
    Sourced,
    Strength,
)

# Requests that are out of the game: they neither block nor count.
WITHDRAWN = frozenset({Status.CANCELLED, Status.REJECTED})
CLOSED_ADVANCE = frozenset({Status.CANCELLED, Status.REJECTED, Status.RECOVERY})

_SOURCES: dict[str, tuple[str, str, Strength]] = {
    "perimeter": (
        "public_faq",
        "solde sur le même périmètre (clients) que l'avance",
        Strength.PUBLIC,
    ),
    "amount": (
        "public_faq",
        "solde : Prestation au plus égale au montant déclaré à l'avance",
        Strength.PUBLIC,
    ),
    "amendment": (
        "public_faq",
        "solde refusé tant que le dernier avenant n'est pas « Décidé et payé »",
        Strength.PUBLIC,
    ),
    "reading": ("sons_reading", "lecture de sons", Strength.INFERRED),
}


_RECORD_COMMANDS = {
    Evidence.MOM: "sons evidence mom record {number} …",
    Evidence.VA: "sons evidence va upload {number} …",
}


@dataclass(frozen=True, slots=True)
class AmendmentOnRecord:
    request_id: str
    status: Status
    prestation_ht_cents: int
    prestation_ttc_cents: int


@dataclass(frozen=True, slots=True)
class AdvanceOnRecord:
    """An advance as the store knows it; `amendments` oldest first; `evidence` the (flow,
    route, piece) the store records for its order, or None when it records none yet."""

    request_id: str
    status: Status
    order_number: str
    client_kind: ClientKind
    client_id: str
    sites: tuple[str, ...]
    prestation_ht_cents: int
    prestation_ttc_cents: int
    amendments: tuple[AmendmentOnRecord, ...] = ()
    evidence: frozenset[tuple[Flow, Route, Evidence]] | None = None

    def declared(self) -> tuple[int, int, str]:
        """(HT, TTC, where from): the latest avenant « Décidé et payé », else the advance."""
        for amendment in reversed(self.amendments):
            if amendment.status is Status.PAID:
                return (
                    amendment.prestation_ht_cents,
                    amendment.prestation_ttc_cents,
                    f"à l'avenant « {amendment.request_id} »",
                )
        return self.prestation_ht_cents, self.prestation_ttc_cents, "à l'avance"

    def latest_amendment(self) -> AmendmentOnRecord | None:
        live = [a for a in self.amendments if a.status not in WITHDRAWN]
        return live[-1] if live else None


def _label(status: Status, kind: RequestKind) -> str:
    return status_label(status, kind, Audience.VENDOR)


def _client(request: DepositRequest) -> tuple[ClientKind, str]:
    client = request.client
    if client.finess_ej is not None:
        return ClientKind.LEGAL_ENTITY, directory_key(client.finess_ej)
    return ClientKind.PROFESSIONAL, directory_key(client.rpps or "")


def _client_text(kind: ClientKind, identifier: str) -> str:
    return f"{'FINESS EJ' if kind is ClientKind.LEGAL_ENTITY else 'RPPS'} {identifier}"


class _Rules:
    def __init__(self, sources: Mapping[str, Source]) -> None:
        self.cited = {
            key: cite(
                Sourced(strength=strength, reference=Reference(source=source, section=what)),
                sources,
            )
            for key, (source, what, strength) in _SOURCES.items()
        }

    def request(
        self, kind: DepositKind, index: int, request: DepositRequest, advance: AdvanceOnRecord
    ) -> Iterator[Finding]:
        yield from self._advance_state(kind, index, advance)
        yield from self._perimeter(kind, index, request, advance)
        if kind is DepositKind.BALANCE:
            yield from self._amount(index, request, advance)
            yield from self._amendments(index, advance)
            yield from self._evidence(index, request, advance)

    def _advance_state(
        self, kind: DepositKind, index: int, advance: AdvanceOnRecord
    ) -> Iterator[Finding]:
        label = _label(advance.status, RequestKind.ADVANCE)
        path = json_path("requests", index, "advance", "request_id")
        if advance.status in CLOSED_ADVANCE:
            yield Finding(
                "DEPOSIT_ADVANCE_CLOSED",
                Severity.ERROR,
                f"L'avance « {advance.request_id} » (bon {advance.order_number}) est au statut "
                f"« {label} » : elle ne peut plus être complétée ni modifiée.",
                path,
                "avance enregistrée",
                self.cited["reading"],
            )
        elif kind is DepositKind.BALANCE and advance.status is not Status.PAID:
            yield Finding(
                "DEPOSIT_ADVANCE_NOT_PAID",
                Severity.INFO,
                f"L'avance « {advance.request_id} » est au statut « {label} », pas encore "
                "« Décidée et payée ».",
                path,
                "avance enregistrée",
                self.cited["reading"],
            )

    def _perimeter(
        self, kind: DepositKind, index: int, request: DepositRequest, advance: AdvanceOnRecord
    ) -> Iterator[Finding]:
        what = "Le solde" if kind is DepositKind.BALANCE else "L'avenant"
        client_kind, client_id = _client(request)
        recorded = (advance.client_kind, directory_key(advance.client_id))
        if (client_kind, client_id) != recorded:
            yield Finding(
                "DEPOSIT_PERIMETER_CHANGED",
                Severity.ERROR,
                f"{what} porte sur le client {_client_text(client_kind, client_id)}, l'avance "
                f"« {advance.request_id} » sur le client {_client_text(*recorded)} : le solde "
                "doit porter sur le même périmètre (clients) que l'avance ; changer de client "
                "passe par l'annulation de la demande.",
                json_path("requests", index, "client"),
                "périmètre",
                self.cited["perimeter"],
            )
        sites = {directory_key(site.finess_et) for site in request.sites}
        recorded_sites = {directory_key(site) for site in advance.sites}
        added, removed = sorted(sites - recorded_sites), sorted(recorded_sites - sites)
        if added or removed:
            parts = []
            if added:
                parts.append(f"site(s) ajouté(s) : {', '.join(added)}")
            if removed:
                parts.append(f"site(s) retiré(s) : {', '.join(removed)}")
            yield Finding(
                "DEPOSIT_SITES_CHANGED",
                Severity.WARNING,
                f"{what} ne porte pas sur les mêmes sites que l'avance « {advance.request_id} » "
                f"({' ; '.join(parts)}) : à justifier (déduit par sons, à confirmer).",
                json_path("requests", index, "sites"),
                "périmètre",
                self.cited["reading"],
            )

    def _amount(
        self, index: int, request: DepositRequest, advance: AdvanceOnRecord
    ) -> Iterator[Finding]:
        declared_ht, declared_ttc, where = advance.declared()
        in_file = request.advance
        file_ht = in_file.advance_ht_cents if in_file else None
        file_ttc = in_file.advance_ttc_cents if in_file else None
        for recorded, in_file_value, attr, label in (
            (declared_ht, file_ht, "advance_ht_cents", "HT"),
            (declared_ttc, file_ttc, "advance_ttc_cents", "TTC"),
        ):
            if in_file_value is not None and in_file_value != recorded:
                yield Finding(
                    "DEPOSIT_ADVANCE_AMOUNT_MISMATCH",
                    Severity.WARNING,
                    f"Montant déclaré à l'avance indiqué dans le fichier "
                    f"({format_euros(in_file_value)} {label}) différent du montant enregistré "
                    f"{where} ({format_euros(recorded)} {label}) : c'est ce dernier qui compte.",
                    json_path("requests", index, "advance", attr),
                    "solde",
                    self.cited["amount"],
                )
        for given, recorded, in_file_value, attr, label in (
            (request.prestation.ht_cents, declared_ht, file_ht, "ht_cents", "HT"),
            (request.prestation.ttc_cents, declared_ttc, file_ttc, "ttc_cents", "TTC"),
        ):
            # Equal to the file's own declaration: the standalone rule already said it.
            if given > recorded and in_file_value != recorded:
                yield Finding(
                    "DEPOSIT_BALANCE_ABOVE_ADVANCE",
                    Severity.ERROR,
                    f"Prestation du solde {format_euros(given)} {label} supérieure au montant "
                    f"enregistré {where} « {advance.request_id} » ({format_euros(recorded)} "
                    f"{label}).",
                    json_path("requests", index, "prestation", attr),
                    "solde",
                    self.cited["amount"],
                )

    def _amendments(self, index: int, advance: AdvanceOnRecord) -> Iterator[Finding]:
        latest = advance.latest_amendment()
        if latest is None or latest.status is Status.PAID:
            return
        yield Finding(
            "DEPOSIT_AMENDMENT_NOT_PAID",
            Severity.ERROR,
            f"Le dernier avenant de l'avance « {advance.request_id} », « {latest.request_id} », "
            f"est au statut « {_label(latest.status, RequestKind.AMENDMENT)} » : le solde est "
            "refusé tant qu'il n'est pas « Décidé et payé » (les avenants annulés ou rejetés ne "
            "comptent pas, lecture de sons).",
            json_path("requests", index, "advance", "request_id"),
            "avenant",
            self.cited["amendment"],
        )

    def _evidence(
        self, index: int, request: DepositRequest, advance: AdvanceOnRecord
    ) -> Iterator[Finding]:
        if advance.evidence is None:
            return
        for position, entry in enumerate(request.evidence):
            if (entry.flow, entry.route, entry.piece) in advance.evidence:
                continue
            channel = f"{FLOW_LABELS[entry.flow]} ({ROUTE_LABELS[entry.route]})"
            command = _RECORD_COMMANDS[entry.piece].format(number=advance.order_number)
            yield Finding(
                "DEPOSIT_EVIDENCE_NOT_RECORDED",
                Severity.ERROR,
                f"{channel} : aucune {entry.piece.value} acceptée n'est enregistrée dans sons "
                f"pour le bon {advance.order_number} ; l'enregistrer avant de déposer le solde "
                f"(« {command} »).",
                json_path("requests", index, "evidence", position),
                "preuves du solde",
                self.cited["reading"],
            )


def advance_findings(
    deposit: DepositFile,
    advances: Mapping[str, AdvanceOnRecord],
    sources: Mapping[str, Source],
    *,
    vendor_on_record: bool = True,
) -> list[tuple[int, Finding]]:
    """(request index, finding) for each request of a solde or avenant whose advance the store
    knows (`advances`, by the advance's request id); an information for each it does not know,
    when the store knows the vendor."""
    kind = deposit.kind
    if kind not in (DepositKind.BALANCE, DepositKind.AMENDMENT):
        return []
    rules = _Rules(sources)
    found: list[tuple[int, Finding]] = []
    for index, request in enumerate(deposit.requests):
        if request.advance is None:
            continue  # the standalone rules report the missing reference
        advance = advances.get(request.advance.request_id)
        if advance is None:
            if vendor_on_record:
                found.append(
                    (
                        index,
                        Finding(
                            "DEPOSIT_ADVANCE_NOT_ON_RECORD",
                            Severity.INFO,
                            f"Avance « {request.advance.request_id} » inconnue de la base : "
                            "périmètre, montant et avenants comparés au fichier seul.",
                            json_path("requests", index, "advance", "request_id"),
                            "avance enregistrée",
                        ),
                    )
                )
            continue
        found += [(index, f) for f in rules.request(kind, index, request, advance)]
    return found

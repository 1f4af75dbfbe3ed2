"""Entering one purchase order by hand (the web editor): read the form, check it, save it.

The form arrives as text (`OrderDraft`). `review_draft` turns it into a `PurchaseOrder` — what
cannot be read (a date, an amount, a solution the vendor has not imported) is a form problem
naming its field — and runs on it exactly the checks `sons order check` runs, with what they
read from the store, plus, per site, the scenario explained: which profiles the answers require,
why, from which source. Nothing is stored by a review: the editor calls it on every change.

`save_draft` stores the order (new, or an update at the version the editor loaded: optimistic
locking, so a concurrent save is refused with a French message and nothing is lost), journaled
with the user. Findings do not prevent saving: an order is a draft until it is filed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from sons.domain.money import AmountError, format_euros, parse_euros
from sons.domain.orders import (
    FUNDED_DIMENSION_LABELS,
    NOT_FUNDED_LABELS,
    ClientKind,
    FundedDimension,
    NotFunded,
    OrderLine,
    PurchaseOrder,
    SiteScenario,
    Solution,
    directory_key,
)
from sons.findings import Finding, Severity
from sons.referential.loader import DispositifAtDate, Referential, UnknownDispositif
from sons.services.accounts import Caller, Forbidden, NotFound
from sons.services.actors import reading
from sons.services.orders import _CheckInputs
from sons.services.referential import (
    ANSWER_FIELD_PREFIX,
    ScenarioResult,
    explain_scenario,
    form_value,
    read_form_answers,
)
from sons.store.errors import ConcurrentEditError, DuplicateError
from sons.store.journal import JournalEntry
from sons.store.orders import DRAFT, PURCHASE_ORDER, StoredOrder
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

# The code of a form field that cannot be read; its path is the field's name in the form.
ORDER_FORM_INVALID = "ORDER_FORM_INVALID"
FORM_RULE = "saisie du bon de commande"
NUMBER_MAX_LENGTH = 100
TEXT_MAX_LENGTH = 500

CLIENT_KIND_LABELS = {
    ClientKind.LEGAL_ENTITY: "entité juridique (FINESS EJ)",
    ClientKind.PROFESSIONAL: "professionnel de santé (RPPS)",
}
# What a line is: a funded dimension, or « hors-<kind> » for what the Prestation does not finance.
NOT_FUNDED_PREFIX = "hors-"
LINE_NATURES: dict[str, str] = {
    **{d.value: label for d, label in FUNDED_DIMENSION_LABELS.items()},
    **{
        NOT_FUNDED_PREFIX + k.value: f"Hors Prestation Ségur — {label}"
        for k, label in NOT_FUNDED_LABELS.items()
    },
}


class OrderEditError(Exception):
    """A save that did not happen; `message` is French, `review` what the form showed."""

    def __init__(self, message: str, review: OrderReview, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.review = review
        # 422: the form cannot be read; 409: it conflicts with what is stored.
        self.status = status


@dataclass(frozen=True, slots=True)
class SiteDraft:
    finess_et: str = ""
    # Question id → the answer as typed (« oui », « non », a choice, a number, a text).
    answers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineDraft:
    label: str = ""
    amount_ht: str = ""
    nature: str = ""
    billed_as_segur: bool = False

    @property
    def blank(self) -> bool:
        return not (self.label.strip() or self.amount_ht.strip() or self.nature)


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """An order as the editor's form holds it: text, as typed."""

    number: str = ""
    solution: str = ""
    dispositif: str = ""
    client_kind: str = ClientKind.LEGAL_ENTITY.value
    client_id: str = ""
    signed_on: str = ""
    signatory: str = ""
    prestation_ht: str = ""
    prestation_ttc: str = ""
    under_referencing_condition: bool = False
    sites: tuple[SiteDraft, ...] = ()
    lines: tuple[LineDraft, ...] = ()
    # The version the editor loaded (None: a new order).
    version: int | None = None


def draft_of(stored: StoredOrder) -> OrderDraft:
    """The form of a stored order (the inverse of reading it)."""
    order = stored.order
    return OrderDraft(
        number=order.number,
        solution=order.solution_referencing_number,
        dispositif=order.dispositif,
        client_kind=order.client_kind.value,
        client_id=order.client_id,
        signed_on=order.signed_on.isoformat(),
        signatory=order.signatory,
        prestation_ht=_euros_field(order.prestation_ht_cents),
        prestation_ttc=_euros_field(order.prestation_ttc_cents),
        under_referencing_condition=order.under_referencing_condition,
        sites=tuple(
            SiteDraft(
                site.finess_et or "",
                {qid: form_value(value) for qid, value in site.answers.items()},
            )
            for site in order.sites
        ),
        lines=tuple(
            LineDraft(
                line.label,
                _euros_field(line.amount_ht_cents),
                line.dimension.value
                if line.dimension is not None
                else (NOT_FUNDED_PREFIX + line.not_funded.value if line.not_funded else ""),
                line.billed_as_segur,
            )
            for line in order.lines
        ),
        version=stored.version,
    )


def _euros_field(cents: int) -> str:
    # « 1 234,50 € » reads back through parse_euros; without the sign, it edits better.
    return format_euros(cents).removesuffix(" €")


@dataclass(frozen=True)
class SiteReview:
    """One site: its questionnaire's answers explained, and the findings placed on it."""

    index: int
    draft: SiteDraft
    name: str | None
    explained: ScenarioResult | None
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class OrderReview:
    """What the editor shows under the form: problems of the form, findings, per site."""

    draft: OrderDraft
    order: PurchaseOrder | None
    view: DispositifAtDate | None
    solution: Solution | None
    problems: tuple[Finding, ...]
    findings: tuple[Finding, ...]
    sites: tuple[SiteReview, ...]

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        return self.problems + self.findings + tuple(f for s in self.sites for f in s.findings)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.all_findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.all_findings if f.severity is Severity.WARNING)

    def answers_of(self, index: int) -> Mapping[str, str]:
        return self.draft.sites[index].answers if index < len(self.draft.sites) else {}


@dataclass(frozen=True)
class EditorChoices:
    solutions: tuple[Solution, ...]
    dispositifs: tuple[str, ...]


def editing_vendor(caller: Caller) -> int:
    """The vendor whose orders `caller` enters: only a vendor's users edit orders."""
    if caller.is_operator:
        raise Forbidden("L'opérateur consulte les bons de commande ; il ne les saisit pas.")
    if caller.vendor_id is None:
        raise Forbidden("Ce compte n'est rattaché à aucun éditeur : il ne saisit aucun bon.")
    return caller.vendor_id


def editor_choices(engine: Engine, caller: Caller) -> EditorChoices:
    vendor_id = editing_vendor(caller)
    with reading(engine) as uow:
        solutions = tuple(uow.solutions.all(vendor_id))
    return EditorChoices(solutions, tuple(sorted({s.dispositif for s in solutions})))


def load_order(engine: Engine, vendor_id: int | None, number: str) -> StoredOrder:
    """The order `number` of that vendor; `NotFound` (404) for anyone else's."""
    if vendor_id is None:
        raise NotFound(f"Le bon de commande « {number} » n'existe pas.")
    with reading(engine) as uow:
        stored = uow.orders.get(vendor_id, number)
    if stored is None:
        raise NotFound(f"Le bon de commande « {number} » n'existe pas pour cet éditeur.")
    return stored


class _Reader:
    """Reads the draft's fields, each problem a finding placed on its form field."""

    def __init__(self) -> None:
        self.problems: list[Finding] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Finding(ORDER_FORM_INVALID, Severity.ERROR, message, path, FORM_RULE))

    def text(self, path: str, value: str, label: str, *, limit: int = TEXT_MAX_LENGTH) -> str:
        cleaned = " ".join(value.split())
        if not cleaned:
            self.problem(path, f"{label} : valeur obligatoire manquante.")
        elif len(cleaned) > limit:
            self.problem(path, f"{label} : {len(cleaned)} caractères, au plus {limit} attendus.")
        return cleaned

    def amount(self, path: str, value: str, label: str) -> int | None:
        if not value.strip():
            self.problem(path, f"{label} : valeur obligatoire manquante.")
            return None
        try:
            return parse_euros(value)
        except AmountError as exc:
            self.problem(path, f"{label} : {exc.message}.")
            return None

    def date(self, path: str, value: str, label: str) -> dt.date | None:
        if not value.strip():
            self.problem(path, f"{label} : valeur obligatoire manquante.")
            return None
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            self.problem(path, f"{label} : « {value} » n'est pas une date au format AAAA-MM-JJ.")
            return None


def _lines(reader: _Reader, drafts: Sequence[LineDraft]) -> list[OrderLine]:
    lines: list[OrderLine] = []
    for index, line in enumerate(d for d in drafts if not d.blank):
        place = f"lignes[{index}]"
        unknown = f"Ligne {index + 1} : nature « {line.nature} » inconnue."
        label = reader.text(f"{place}.libelle", line.label, f"Ligne {index + 1}, libellé")
        amount = reader.amount(
            f"{place}.montant_ht", line.amount_ht, f"Ligne {index + 1}, montant HT"
        )
        dimension: FundedDimension | None = None
        not_funded: NotFunded | None = None
        if line.nature.startswith(NOT_FUNDED_PREFIX):
            try:
                not_funded = NotFunded(line.nature.removeprefix(NOT_FUNDED_PREFIX))
            except ValueError:
                reader.problem(f"{place}.nature", unknown)
        elif line.nature:
            try:
                dimension = FundedDimension(line.nature)
            except ValueError:
                reader.problem(f"{place}.nature", unknown)
        if amount is not None:
            lines.append(OrderLine(label, amount, dimension, not_funded, line.billed_as_segur))
    return lines


def review_draft(
    engine: Engine,
    caller: Caller,
    draft: OrderDraft,
    *,
    today: dt.date,
    referential: Referential,
    pin: str | None = None,
) -> OrderReview:
    """The draft read, checked and explained; nothing stored. `pin`: the stored order's
    referential version (a new order is pinned to the current one)."""
    vendor_id = editing_vendor(caller)
    reader = _Reader()
    number = reader.text(
        "numero", draft.number, "Numéro du bon de commande", limit=NUMBER_MAX_LENGTH
    )
    signed_on = reader.date("date_signature", draft.signed_on, "Date de signature")
    signatory = reader.text("signataire", draft.signatory, "Signataire")
    ht = reader.amount("prestation_ht", draft.prestation_ht, "Montant de la Prestation Ségur HT")
    ttc = reader.amount(
        "prestation_ttc", draft.prestation_ttc, "Montant de la Prestation Ségur TTC"
    )
    client_id = directory_key(draft.client_id)
    if not client_id:
        reader.problem("client", "Client (FINESS EJ ou RPPS) : valeur obligatoire manquante.")
    try:
        client_kind: ClientKind | None = ClientKind(draft.client_kind)
    except ValueError:
        client_kind = None
        reader.problem("type_client", f"Type de client « {draft.client_kind} » inconnu.")
    view: DispositifAtDate | None = None
    try:
        view = referential.at(draft.dispositif.strip(), signed_on or today)
    except UnknownDispositif as exc:
        reader.problem(
            "dispositif",
            str(exc) if draft.dispositif.strip() else "Dispositif : valeur obligatoire manquante.",
        )
    lines = _lines(reader, draft.lines)
    with reading(engine) as uow:
        vendor = uow.vendors.get(vendor_id)
        solutions = {s.referencing_number: s for s in uow.solutions.all(vendor_id)}
        solution = solutions.get(draft.solution.strip())
        if solution is None:
            reader.problem(
                "numero_referencement",
                f"Solution « {draft.solution} » inconnue pour cet éditeur : choisissez une des "
                "solutions importées (page Solutions)."
                if draft.solution.strip()
                else "Solution : valeur obligatoire manquante.",
            )
        sites = tuple(
            SiteScenario(
                directory_key(site.finess_et) or None,
                read_form_answers(view, _answer_fields(site.answers)) if view is not None else {},
            )
            for site in draft.sites
        )
        names = uow.directory.sites({s.finess_et for s in sites if s.finess_et})
        order: PurchaseOrder | None = None
        findings: list[Finding] = []
        if (
            not reader.problems
            and vendor is not None
            and view is not None
            and solution is not None
            and signed_on is not None
            and client_kind is not None
            and ht is not None
            and ttc is not None
        ):
            order = PurchaseOrder(
                number=number,
                vendor_siret=vendor.siret,
                solution_referencing_number=solution.referencing_number,
                dispositif=view.code,
                client_kind=client_kind,
                client_id=client_id,
                signed_on=signed_on,
                signatory=signatory,
                prestation_ht_cents=ht,
                prestation_ttc_cents=ttc,
                referential_pin=pin or referential.pin,
                under_referencing_condition=draft.under_referencing_condition,
                sites=sites,
                lines=tuple(lines),
            )
            findings = _checked(uow, vendor_id, order, today, referential)
    obtained = sorted(solution.profiles) if solution is not None else None
    reviews = []
    for index, (site_draft, site) in enumerate(zip(draft.sites, sites, strict=True)):
        place = f"sites[{index}]"
        explained = (
            explain_scenario(referential, view.code, view.on, site.answers, obtained)
            if view is not None
            else None
        )
        known = names.get(site.finess_et) if site.finess_et else None
        reviews.append(
            SiteReview(
                index,
                site_draft,
                known.name if known is not None else None,
                explained,
                tuple(f for f in findings if f.path == place or f.path.startswith(place + ".")),
            )
        )
    on_sites = {f for review in reviews for f in review.findings}
    return OrderReview(
        draft,
        order,
        view,
        solution,
        tuple(reader.problems),
        tuple(f for f in findings if f not in on_sites),
        tuple(reviews),
    )


def _answer_fields(answers: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    return ((ANSWER_FIELD_PREFIX + qid, value) for qid, value in answers.items())


def _checked(
    uow: UnitOfWork, vendor_id: int, order: PurchaseOrder, today: dt.date, referential: Referential
) -> list[Finding]:
    """The checks of `sons order check` on an order not stored (or not yet saved as edited)."""
    # The checks read the order only; the store's bookkeeping of a transient one is moot.
    epoch = dt.datetime.combine(today, dt.time(), dt.UTC)
    transient = StoredOrder(0, vendor_id, order, DRAFT, 0, epoch, epoch)
    inputs = _CheckInputs(uow, vendor_id, [transient])
    return inputs.check(inputs.session(referential, today), order, inputs.ceiling(order))


def save_draft(
    engine: Engine,
    caller: Caller,
    draft: OrderDraft,
    *,
    today: dt.date,
    referential: Referential,
    editing: str | None = None,
    clock: Clock = system_clock,
) -> tuple[StoredOrder, OrderReview]:
    """Store the draft: a new order (`editing` None) or the order `editing` at the draft's
    version. `OrderEditError` when the form cannot be read, the number is taken, or someone
    saved the order since it was loaded (nothing written then)."""
    vendor_id = editing_vendor(caller)
    current = load_order(engine, vendor_id, editing) if editing is not None else None
    if current is not None:
        # The number is the order's identity: an edit keeps it, whatever the form says.
        draft = dataclasses.replace(draft, number=current.number)
    review = review_draft(
        engine,
        caller,
        draft,
        today=today,
        referential=referential,
        pin=current.order.referential_pin if current is not None else None,
    )
    if review.order is None:
        raise OrderEditError(
            "Le bon de commande n'est pas enregistré : corrigez les champs signalés.", review
        )
    try:
        with UnitOfWork(engine, caller.actor, clock) as uow:
            if current is None:
                stored = uow.orders.add(vendor_id, review.order)
            else:
                order = dataclasses.replace(review.order, extra=current.order.extra)
                stored = uow.orders.update(vendor_id, order, expected_version=draft.version or 0)
    except ConcurrentEditError as exc:
        raise OrderEditError(
            f"{exc} Vos modifications ne sont pas enregistrées : la version enregistrée est "
            "conservée. Ouvrez le bon à nouveau pour voir ses modifications, puis reportez les "
            "vôtres.",
            review,
            409,
        ) from None
    except DuplicateError as exc:
        raise OrderEditError(str(exc), review, 409) from None
    return stored, review


def order_history(engine: Engine, caller: Caller, number: str) -> tuple[JournalEntry, ...]:
    """The journal of the vendor's order `number`, oldest first."""
    vendor_id = editing_vendor(caller)
    with reading(engine) as uow:
        return tuple(uow.journal.history(PURCHASE_ORDER, number, vendor_id=vendor_id))

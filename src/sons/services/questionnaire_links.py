"""The client questionnaire link: a vendor lets the client's IT manager answer an order's
installation questionnaire, per site, without an account.

The vendor creates a link for one order (`create_link`): a random nonce, kept in the store as a
SHA-256 only, and a token signed with the web application's secret (itsdangerous) naming the
link, the nonce and the expiry. Whoever holds the URL can open it until it expires, is revoked,
or is used: a link serves once. Anything else — a token altered by one character, signed with
another secret, naming another nonce — is refused before anything is read or stored.

The client answers, sees what each answer implies (the profiles required and why, the flows
declared, the findings of the referential), and submits: the answers replace the sites' ordered
scenarios of the order, at the version the form was loaded at (a vendor's save in between is
not overwritten), journaled under the name and address the client typed, and the link is closed
in the same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.engine import Engine

from sons.domain.orders import PurchaseOrder, SiteScenario, Solution
from sons.findings import Finding
from sons.referential.loader import DispositifAtDate, Referential, UnknownDispositif
from sons.referential.scenario import explain
from sons.services.accounts import Caller, InvalidAccount, NotFound, check_email
from sons.services.actors import reading
from sons.services.order_editing import editing_vendor, load_order
from sons.services.referential import ANSWER_FIELD_PREFIX, ScenarioResult, read_form_answers
from sons.store.errors import ConcurrentEditError
from sons.store.orders import StoredOrder
from sons.store.questionnaire_links import (
    LINK_STATE_LABELS,
    LinkClosedError,
    LinkState,
    QuestionnaireLink,
    QuestionnaireLinkRepository,
)
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

LINK_SALT = "sons.questionnaire-link"
DEFAULT_DAYS = 14
MAX_DAYS = 90
NAME_MAX_LENGTH = 200
# Answers a submission cannot carry: the link serves once, so it must not be spent on a
# questionnaire that cannot be read or is incomplete.
BLOCKING_CODES = frozenset(
    {
        "SCENARIO_ANSWER_MISSING",
        "SCENARIO_ANSWER_INVALID",
        "SCENARIO_ANSWER_UNKNOWN",
        "SCENARIO_ALTERNATIVES_CONFLICT",
    }
)


class LinkRefused(Exception):
    """A link that does not open: the HTTP status to answer, a French title and message."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


class AnswersRefused(Exception):
    """A submission not stored (incomplete answers, identity, or the order changed meanwhile)."""

    def __init__(self, message: str, version: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.version = version


@dataclass(frozen=True)
class CreatedLink:
    link: QuestionnaireLink
    token: str


@dataclass(frozen=True)
class LinkView:
    link: QuestionnaireLink
    state: LinkState

    @property
    def state_label(self) -> str:
        return LINK_STATE_LABELS[self.state]


@dataclass(frozen=True)
class OpenedLink:
    """What the client's page shows: the order's identity, its sites, the questionnaire."""

    link: QuestionnaireLink
    stored: StoredOrder
    vendor_name: str
    solution: Solution | None
    view: DispositifAtDate
    site_names: Mapping[str, str]

    @property
    def order(self) -> PurchaseOrder:
        return self.stored.order

    def explain(self, answers: Mapping[str, Any]) -> ScenarioResult:
        obtained = sorted(self.solution.profiles) if self.solution is not None else None
        return explain_scenario_at(self.view, answers, obtained)


def explain_scenario_at(
    view: DispositifAtDate, answers: Mapping[str, Any], obtained: Sequence[str] | None
) -> ScenarioResult:
    """`services.referential.explain_scenario` on a view already opened."""
    profiles = None if obtained is None else tuple(obtained)
    return ScenarioResult(view, profiles, explain(view, answers, profiles))


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=LINK_SALT)


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


def create_link(
    engine: Engine,
    caller: Caller,
    number: str,
    *,
    recipient: str,
    days: int,
    secret: str,
    clock: Clock = system_clock,
) -> CreatedLink:
    """A link to the questionnaire of the vendor's order `number`, valid `days` days."""
    vendor_id = editing_vendor(caller)
    stored = load_order(engine, vendor_id, number)
    if not stored.order.sites:
        raise AnswersRefused(
            "Ce bon de commande n'a encore aucun site : ajoutez ses sites (FINESS ET) dans "
            "l'éditeur avant d'envoyer le questionnaire au client."
        )
    if not 1 <= days <= MAX_DAYS:
        raise AnswersRefused(f"Durée de validité : entre 1 et {MAX_DAYS} jours ({days} reçu).")
    recipient = " ".join(recipient.split())
    if len(recipient) > NAME_MAX_LENGTH:
        raise AnswersRefused(f"Destinataire : au plus {NAME_MAX_LENGTH} caractères.")
    nonce = secrets.token_urlsafe(24)
    with UnitOfWork(engine, caller.actor, clock) as uow:
        expires_at = uow.now() + dt.timedelta(days=days)
        link = QuestionnaireLinkRepository(uow.session, uow.journal, uow.now).add(
            vendor_id,
            stored.id,
            stored.number,
            nonce_sha256=_digest(nonce),
            recipient=recipient,
            expires_at=expires_at,
            created_by=caller.actor,
        )
    token = _serializer(secret).dumps({"l": link.id, "n": nonce})
    return CreatedLink(link, token)


def links_of(engine: Engine, caller: Caller, number: str, *, clock: Clock) -> list[LinkView]:
    vendor_id = editing_vendor(caller)
    stored = load_order(engine, vendor_id, number)
    now = clock()
    with reading(engine) as uow:
        links = QuestionnaireLinkRepository(uow.session, uow.journal, uow.now).of_order(
            vendor_id, stored.id
        )
    return [LinkView(link, link.state(now)) for link in links]


def revoke_link(
    engine: Engine, caller: Caller, link_id: int, *, clock: Clock = system_clock
) -> tuple[QuestionnaireLink, str]:
    """Close the vendor's link `link_id`; returns it and its order's number."""
    vendor_id = editing_vendor(caller)
    with UnitOfWork(engine, caller.actor, clock) as uow:
        links = QuestionnaireLinkRepository(uow.session, uow.journal, uow.now)
        link = links.get(link_id)
        number = links.order_number(link) if link is not None else None
        if link is None or link.vendor_id != vendor_id or number is None:
            raise NotFound(f"Le lien de questionnaire n° {link_id} n'existe pas.")
        try:
            closed = links.revoke(vendor_id, link_id, number, by=caller.actor)
        except LinkClosedError as exc:
            raise AnswersRefused(str(exc)) from None
    return closed, number


def _refused_unknown() -> LinkRefused:
    return LinkRefused(
        403,
        "Lien invalide",
        "Ce lien de questionnaire n'est pas valide : il a été modifié ou mal copié. Vérifiez "
        "que l'adresse est complète, ou demandez un nouveau lien à votre éditeur.",
    )


def _check(link: QuestionnaireLink | None, nonce: Any, now: dt.datetime) -> QuestionnaireLink:
    if (
        link is None
        or not isinstance(nonce, str)
        or not secrets.compare_digest(_digest(nonce), link.nonce_sha256)
    ):
        raise _refused_unknown()
    state = link.state(now)
    when = "le " + _paris(link.submitted_at or link.revoked_at or link.expires_at)
    if state is LinkState.SUBMITTED:
        raise LinkRefused(
            410,
            "Questionnaire déjà envoyé",
            f"Les réponses ont été envoyées avec ce lien {when} ; un lien ne sert qu'une fois. "
            "Pour les modifier, demandez un nouveau lien à votre éditeur.",
        )
    if state is LinkState.REVOKED:
        raise LinkRefused(
            410,
            "Lien révoqué",
            f"Ce lien a été révoqué par l'éditeur {when} ; demandez-lui un nouveau lien.",
        )
    if state is LinkState.EXPIRED:
        raise LinkRefused(
            410,
            "Lien expiré",
            f"Ce lien a expiré {when} ; demandez un nouveau lien à votre éditeur.",
        )
    return link


def _paris(at: dt.datetime) -> str:
    return at.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y à %H:%M")


def _token_payload(token: str, secret: str) -> tuple[int, Any]:
    try:
        payload = _serializer(secret).loads(token)
    except BadSignature:
        raise _refused_unknown() from None
    if not isinstance(payload, dict) or not isinstance(payload.get("l"), int):
        raise _refused_unknown()
    return payload["l"], payload.get("n")


def open_link(
    engine: Engine,
    token: str,
    *,
    secret: str,
    referential: Referential,
    clock: Clock = system_clock,
) -> OpenedLink:
    """The order behind a valid link; `LinkRefused` (403 altered, 410 ended) otherwise."""
    link_id, nonce = _token_payload(token, secret)
    with reading(engine) as uow:
        links = QuestionnaireLinkRepository(uow.session, uow.journal, uow.now)
        link = _check(links.get(link_id), nonce, clock())
        number = links.order_number(link)
        stored = uow.orders.get(link.vendor_id, number) if number is not None else None
        if stored is None:
            raise LinkRefused(
                410,
                "Bon de commande supprimé",
                "Le bon de commande de ce lien n'existe plus ; adressez-vous à votre éditeur.",
            )
        vendor = uow.vendors.get(link.vendor_id)
        solution = next(
            (
                s
                for s in uow.solutions.all(link.vendor_id)
                if s.referencing_number == stored.order.solution_referencing_number
            ),
            None,
        )
        names = uow.directory.sites({s.finess_et for s in stored.order.sites if s.finess_et})
    try:
        view = referential.at(stored.order.dispositif, stored.order.signed_on)
    except UnknownDispositif as exc:
        raise LinkRefused(410, "Questionnaire indisponible", str(exc)) from None
    return OpenedLink(
        link,
        stored,
        vendor.name if vendor is not None else "non renseigné",
        solution,
        view,
        {number: site.name for number, site in names.items()},
    )


def read_answers(opened: OpenedLink, sites: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Each site's answers typed by the questionnaire (as the order editor reads them)."""
    return [
        read_form_answers(
            opened.view,
            ((ANSWER_FIELD_PREFIX + qid, value) for qid, value in answers.items()),
        )
        for answers in sites
    ]


def submit_answers(
    engine: Engine,
    token: str,
    *,
    secret: str,
    referential: Referential,
    name: str,
    email: str,
    sites: Sequence[Mapping[str, str]],
    version: int,
    clock: Clock = system_clock,
) -> tuple[OpenedLink, StoredOrder]:
    """Store the client's answers in the order and close the link, in one transaction."""
    opened = open_link(engine, token, secret=secret, referential=referential, clock=clock)
    name = " ".join(name.split())
    problems: list[str] = []
    if not name:
        problems.append("Votre nom : valeur obligatoire manquante.")
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(f"Votre nom : au plus {NAME_MAX_LENGTH} caractères.")
    try:
        address = check_email(email)
    except InvalidAccount as exc:
        problems.append(exc.message)
        address = ""
    order = opened.order
    if len(sites) != len(order.sites):
        raise AnswersRefused(
            f"{len(sites)} site(s) reçu(s) au lieu de {len(order.sites)} : rechargez la page.",
            opened.stored.version,
        )
    answers = read_answers(opened, sites)
    blocking: list[Finding] = []
    for site_answers in answers:
        blocking += [f for f in opened.explain(site_answers).findings if f.code in BLOCKING_CODES]
    if blocking:
        problems.append(
            f"{len(blocking)} réponse(s) manquante(s) ou à corriger (voir les constats sous "
            "chaque site) : le questionnaire n'est pas envoyé."
        )
    if problems:
        raise AnswersRefused(" ".join(problems), opened.stored.version)
    actor = f"{name} <{address}> (client, lien n° {opened.link.id})"
    answered = dataclasses.replace(
        order,
        sites=tuple(
            SiteScenario(site.finess_et, site_answers)
            for site, site_answers in zip(order.sites, answers, strict=True)
        ),
    )
    try:
        with UnitOfWork(engine, actor, clock) as uow:
            links = QuestionnaireLinkRepository(uow.session, uow.journal, uow.now)
            stored = uow.orders.update(opened.stored.vendor_id, answered, expected_version=version)
            links.mark_submitted(opened.stored.vendor_id, opened.link.id, order.number, by=actor)
    except ConcurrentEditError:
        raise AnswersRefused(
            "L'éditeur a modifié ce bon de commande pendant que vous répondiez : vos réponses "
            "ne sont pas encore enregistrées. Vérifiez-les ci-dessous et envoyez à nouveau.",
            load_order(engine, opened.stored.vendor_id, order.number).version,
        ) from None
    except LinkClosedError:
        # Revoked or used between the page and the submission: nothing was written; opening
        # the link again says which.
        open_link(engine, token, secret=secret, referential=referential, clock=clock)
        raise
    return opened, stored

"""The annotated rulebook: every item beside its source and strength, in Markdown and HTML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from tiny_referential import CODE, write_tiny_referential

from sons.documents.rulebook import FORMATS, html, render
from sons.referential.loader import Referential, default_referential, load
from sons.referential.model import STRENGTH_LABELS
from sons.referential.rulebook import Entry, Rulebook, build, french_date, markdown


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Referential:
    return load(write_tiny_referential(tmp_path_factory.mktemp("tiny")))


def book(referential: Referential, on: dt.date) -> Rulebook:
    return build(referential.at(CODE, on), referential)


def entries(rulebook: Rulebook) -> Iterator[Entry]:
    def walk(entry: Entry) -> Iterator[Entry]:
        yield entry
        for detail in entry.details:
            yield from walk(detail)

    yield from walk(rulebook.identity)
    for section in rulebook.sections:
        for entry in section.entries:
            yield from walk(entry)


def section(rulebook: Rulebook, anchor: str) -> list[Entry]:
    return list(next(s for s in rulebook.sections if s.anchor == anchor).entries)


def facts(entry: Entry) -> dict[str, str]:
    return dict(entry.facts)


def test_french_dates() -> None:
    assert french_date(dt.date(2022, 5, 1)) == "1er mai 2022"
    assert french_date(dt.date(2023, 8, 14)) == "14 août 2023"


def test_every_item_cites_its_source_and_strength(tiny: Referential) -> None:
    rulebook = book(tiny, dt.date(2022, 5, 1))
    for entry in entries(rulebook):
        citation = entry.citation
        assert citation.strength_label == STRENGTH_LABELS[citation.strength]
    rule = section(rulebook, "regles")[0]
    assert rule.citation.title == "Appel à financement d'essai"
    assert rule.citation.section == "§3.2"
    assert rule.citation.url == "https://example.org/af-essai.pdf"


def test_rules_are_described_with_their_exceptions(tiny: Referential) -> None:
    rule = section(book(tiny, dt.date(2022, 5, 1)), "regles")[0]
    assert rule.ident == "base_requires_extra"
    assert facts(rule)["Condition"] == (
        "si « La règle de base s'applique-t-elle ? » (q_base) = Oui"
    )
    dispense, obligation = rule.details
    assert facts(dispense) == {
        "Condition": "si « Dispense ? » (q_off) = Oui",
        "Effet": "le profil n'est pas requis",
        "Motif": "dispense prévue par l'AF",
    }
    assert dispense.citation.section == "§3.3"
    assert facts(obligation)["Effet"] == "le profil est requis"
    assert obligation.citation.strength_label == "déduit par sons (à confirmer)"


def test_unknown_balance_values_read_non_renseigne(tiny: Referential) -> None:
    condition = section(book(tiny, dt.date(2022, 5, 1)), "solde")[0]
    shown = facts(condition)
    assert shown["Seuil"] == "non renseigné (force propre : non renseigné)"
    assert shown["INS qualifiée"] == "non renseigné"
    assert shown["S'applique si"] == "toujours (sans condition)"
    assert shown["Contrôles"] == "Présence de la MOM (contrôle de présence)"


def test_the_date_selects_what_is_in_force(tiny: Referential) -> None:
    before = book(tiny, dt.date(2022, 5, 1))
    after = book(tiny, dt.date(2024, 10, 1))
    assert [e.ident for e in section(before, "pieces-solde")] == ["rapport_de_test"]
    assert section(after, "pieces-solde") == []
    assert section(before, "indicateurs") == []
    assert [e.ident for e in section(after, "indicateurs")] == ["deploiement"]
    # The dated changes are listed whatever the date.
    for rulebook in (before, after):
        changes = next(s for s in rulebook.sections if s.anchor == "changements").summary
        assert changes is not None
        listed = {row[2]: row for row in changes.rows}
        assert {"rapport_de_test", "deploiement", "order_deadline"} <= set(listed)
    assert listed["deploiement"][3:5] == ("depuis le 12 septembre 2024", "en vigueur")


def test_dated_parameters(tiny: Referential) -> None:
    may = {e.ident: e for e in section(book(tiny, dt.date(2022, 5, 1)), "parametres")}
    july = {e.ident: e for e in section(book(tiny, dt.date(2022, 7, 1)), "parametres")}
    assert facts(may["order_deadline"])["Valeur au 1er mai 2022"] == "30 novembre 2022"
    assert facts(may["order_deadline"])["En vigueur depuis"] == (
        "1er janvier 2021 (début de la période couverte par sons)"
    )
    assert may["order_deadline"].citation.section == "Calendrier initial"
    assert facts(july["order_deadline"])["Valeur au 1er juillet 2022"] == "31 décembre 2022"
    assert july["order_deadline"].citation.section == "Calendrier prolongé"
    assert facts(july["order_deadline"])["Dernière vérification"] == "31 décembre 2022"
    assert [d.title for d in july["order_deadline"].details] == [
        "Historique : à partir du 1er janvier 2021 (début de la période couverte par sons)",
        "Historique : à partir du 1er juin 2022",
    ]
    assert facts(may["advance_rate"])["Valeur au 1er mai 2022"] == "non renseigné"
    assert may["advance_rate"].citation.strength_label == "non renseigné"
    # A parameter the dispositif lacks is shown, unknown, never guessed.
    assert facts(may["balance_deadline"])["Valeur au 1er mai 2022"] == "non renseigné"
    assert may["vat_rate"].facts[0][1] == "20 %"


def test_a_value_past_its_last_check_is_flagged(tiny: Referential) -> None:
    rulebook = book(tiny, dt.date(2023, 6, 1))
    assert any("vérifiée pour la dernière fois le 2022-12-31" in w for w in rulebook.warnings)
    assert "## Avertissements" in markdown(rulebook)
    assert book(tiny, dt.date(2022, 5, 1)).warnings == ()


def test_markdown_escapes_labels(tiny: Referential) -> None:
    text = markdown(book(tiny, dt.date(2022, 5, 1)))
    assert "### Profil \\<b\\>supplémentaire\\</b\\> & co (`extra`)" in text
    assert "<b>" not in text


def test_markdown_of_the_worked_example() -> None:
    referential = default_referential()
    view = referential.at("rad-ris-va1", dt.date(2022, 5, 1))
    text = markdown(build(view, referential))
    assert text.startswith("# Règlement annoté — RAD-RIS-Va1\n")
    for question in view.questions:
        assert f"(`{question.id}`)" in text
    for profile in view.profiles:
        assert profile.label in text
    for rule in view.rules:
        assert f"(`{rule.id}`)" in text
    for condition in view.balance_conditions:
        assert f"(`{condition.id}`)" in text
        assert condition.condition in text
    for source in view.identity.sources:
        if source.url:
            assert f"<{source.url}>" in text
    for label in STRENGTH_LABELS.values():
        assert label in text


class _Structure(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> inattendu (ouverts : {self.stack[-3:]})")
        else:
            self.stack.pop()


def test_html_is_accessible_escaped_and_stands_alone(tiny: Referential) -> None:
    page = html(book(tiny, dt.date(2022, 5, 1)))
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr">')
    structure = _Structure()
    structure.feed(page)
    assert structure.errors == [] and structure.stack == []
    tags = [t for t, _ in structure.tags]
    assert tags.count("h1") == 1 and "h2" in tags and "h3" in tags and "h4" in tags
    scopes = {a.get("scope") for t, a in structure.tags if t == "th"}
    assert scopes == {"col", "row"}
    assert "caption" in tags
    # Nothing fetched from elsewhere, nothing executed.
    assert not any(t in ("script", "link", "img", "iframe") for t in tags)
    # Labels are data, never markup.
    assert "&lt;b&gt;supplémentaire&lt;/b&gt; &amp; co" in page
    assert "<b>" not in page
    assert '<a href="https://example.org/af-essai.pdf">' in page


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_every_format_for_every_dispositif(fmt: str) -> None:
    referential = default_referential()
    for dispositif in referential.dispositifs.values():
        rulebook = build(referential.at(dispositif.code, dt.date(2023, 1, 2)), referential)
        assert dispositif.code in render(rulebook, fmt)


def test_render_refuses_an_unknown_format(tiny: Referential) -> None:
    with pytest.raises(ValueError, match="format « pdf » inconnu"):
        render(book(tiny, dt.date(2022, 5, 1)), "pdf")

"""The frame every sons PDF shares: page header and footer, fonts, blocks, atomic writing.

Documents are deterministic: the creation date is injected and nothing else varies, so the
same input gives the same bytes (golden tests, reproducible deposits).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, XPos, YPos

from sons.atomic_write import write_atomically
from sons.documents.context import NO_FINESS, NOT_PROVIDED, DocumentContext, DocumentError
from sons.documents.fonts import FONT_FAMILY, font_paths
from sons.domain.evidence import FlowEvidence
from sons.domain.orders import SiteScenario
from sons.referential.conditions import answer_label
from sons.referential.loader import DispositifAtDate
from sons.referential.model import FLOW_LABELS, ROUTE_LABELS, Flow, Question, Route

BLANK = "…………………………………………"

# Beyond this many questions the sites table needs a landscape page to stay readable.
PORTRAIT_MAX_QUESTIONS = 6
FINESS_COLUMN_MM = 34.0
MIN_QUESTION_COLUMN_MM = 16.0
HEADING_FILL = (225, 228, 235)
SOFT_FILL = (244, 245, 248)


def french_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def flow_route_label(flow: Flow, route: Route) -> str:
    return f"{FLOW_LABELS[flow]} — {ROUTE_LABELS[route]}"


def yes_no_unknown(value: bool | None) -> str:
    return NOT_PROVIDED if value is None else ("Oui" if value else "Non")


# --- how the documents print them -----------------------------------------------------------


def count_text(evidence: FlowEvidence) -> str:
    """« 12 (seuil atteint) », « 7 (seuil non atteint) », « 7 (seuil non renseigné) » or
    « non comptables » (no transmission can count: the reason goes with the verdict)."""
    if evidence.uncountable:
        return "non comptables"
    if evidence.threshold is None:
        return f"{evidence.achieved} (seuil {NOT_PROVIDED})"
    reached = "atteint" if evidence.achieved >= evidence.threshold else "non atteint"
    return f"{evidence.achieved} (seuil {reached})"


def period_text(evidence: FlowEvidence) -> str:
    return f"du {french_date(evidence.period_start)} au {french_date(evidence.period_end)}"


def threshold_text(threshold: int | None) -> str:
    return NOT_PROVIDED if threshold is None else str(threshold)


@dataclass(frozen=True, slots=True)
class Signatory:
    """One signature block: its heading and fields; a None value leaves a line to fill in."""

    heading: str
    fields: tuple[tuple[str, str | None], ...]


SIGNATURE_LINE_MM = 6.0
SIGNATURE_BOX_MM = 26.0


def signatures_height(signatories: Sequence[Signatory]) -> float:
    lines = max(len(s.fields) for s in signatories) + 2  # heading, fields, « Signature : »
    return lines * SIGNATURE_LINE_MM + SIGNATURE_BOX_MM + 4


class SonsPdf(FPDF):
    """An A4 page with the vendor's name (and logo) on top and « Page X / Y » at the bottom."""

    def __init__(
        self,
        title: str,
        context: DocumentContext,
        *,
        landscape: bool = False,
    ) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.document_title = title
        self.context = context
        if context.logo is not None and not context.logo.is_file():
            raise DocumentError(
                f"Logo du fournisseur introuvable : « {context.logo} » (fichier image attendu)."
            )
        created = context.creation_date
        # fpdf2 would read a naive date in the machine's time zone: pin it to UTC.
        self.set_creation_date(created if created.tzinfo else created.replace(tzinfo=dt.UTC))
        for style, path in font_paths().items():
            self.add_font(FONT_FAMILY, style, str(path))
        self.set_lang("fr-FR")
        self.set_title(f"{title} — commande n° {context.order.number}")
        self.set_author(context.vendor.name)
        self.set_creator("sons")
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=16)
        self.set_font(FONT_FAMILY, size=10)
        self.add_page()

    # --- frame -----------------------------------------------------------------------------

    def header(self) -> None:
        top = self.t_margin - 4
        if self.context.logo is not None:
            self.image(self.context.logo, x=self.w - self.r_margin - 30, y=top, h=11)
        self.set_xy(self.l_margin, top)
        self.set_font(FONT_FAMILY, "B", 12)
        self.cell(self.epw - 34, 6, self.context.vendor.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT_FAMILY, "", 8.5)
        self.set_text_color(90)
        self.cell(self.epw - 34, 4.5, self.document_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.set_draw_color(170)
        self.line(self.l_margin, top + 13, self.w - self.r_margin, top + 13)
        self.set_y(top + 17)
        self.set_font(FONT_FAMILY, "", 10)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT_FAMILY, "", 8)
        self.set_text_color(90)
        order = self.context.order
        self.cell(
            self.epw / 2,
            5,
            f"{self.document_title} — commande n° {order.number}",
            align=Align.L,
        )
        self.cell(self.epw / 2, 5, f"Page {self.page_no()} / {{nb}}", align=Align.R)
        self.set_text_color(0)

    # --- blocks ----------------------------------------------------------------------------

    def room_left(self) -> float:
        return self.page_break_trigger - self.get_y()

    def keep_together(self, height: float) -> None:
        """Start a new page rather than split a block of about `height` mm."""
        if self.room_left() < height:
            self.add_page()

    def title_block(self, title: str, subtitle: str) -> None:
        self.set_font(FONT_FAMILY, "B", 16)
        self.multi_cell(0, 8, title, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT_FAMILY, "", 10.5)
        self.multi_cell(0, 6, subtitle, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def section(self, text: str) -> None:
        self.keep_together(34)
        self.ln(2)
        self.set_font(FONT_FAMILY, "B", 11.5)
        self.set_fill_color(*HEADING_FILL)
        self.multi_cell(0, 7, text, align=Align.L, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)
        self.set_font(FONT_FAMILY, "", 10)

    def subsection(self, text: str) -> None:
        self.keep_together(30)  # the heading, a table's headings and its first row
        self.ln(1)
        self.set_font(FONT_FAMILY, "B", 10.5)
        self.multi_cell(0, 6, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT_FAMILY, "", 10)

    def paragraph(self, text: str, *, size: float = 10, style: str = "") -> None:
        self.set_font(FONT_FAMILY, style, size)
        self.multi_cell(0, size * 0.5, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT_FAMILY, "", 10)
        self.ln(1)

    def note(self, text: str) -> None:
        """A small italic remark, e.g. « formulation proposée par sons »."""
        self.set_text_color(70)
        self.paragraph(text, size=8.5, style="I")
        self.set_text_color(0)

    def boxed(self, text: str, *, style: str = "B") -> None:
        self.set_font(FONT_FAMILY, style, 10)
        self.set_fill_color(*SOFT_FILL)
        self.multi_cell(
            0, 5.5, text, border=1, align=Align.L, fill=True, padding=2,
            new_x=XPos.LMARGIN, new_y=YPos.NEXT,
        )  # fmt: skip
        self.set_font(FONT_FAMILY, "", 10)
        self.ln(1)

    def fields(self, rows: Sequence[tuple[str, str]], *, label_width: float = 52) -> None:
        """« Label : value » lines, values wrapping under themselves."""
        for label, value in rows:
            self.set_font(FONT_FAMILY, "B", 10)
            self.cell(label_width, 5.5, label)
            self.set_font(FONT_FAMILY, "", 10)
            self.multi_cell(0, 5.5, value, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def data_table(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        size: float = 9,
        bold_rows: frozenset[int] = frozenset(),
        right_aligned: frozenset[int] = frozenset(),
    ) -> None:
        """A bordered table whose cells wrap; headings repeat on each page it spans.

        `bold_rows` are row indexes (totals), `right_aligned` column indexes (amounts, counts).
        """
        self.set_font(FONT_FAMILY, "", size)
        aligns = tuple(Align.R if i in right_aligned else Align.L for i in range(len(widths)))
        self.set_fill_color(255)  # fpdf2 fills body cells with the fill colour in force
        bold = FontFace(emphasis="BOLD")
        with self.table(
            col_widths=tuple(widths),
            width=sum(widths),
            align=Align.L,
            text_align=aligns,
            line_height=self.font_size * 1.4,
            padding=1.2,
            headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
            borders_layout=TableBordersLayout.ALL,
        ) as table:
            heading = table.row()
            for text in headings:
                heading.cell(text)
            for index, values in enumerate(rows):
                row = table.row()
                for text in values:
                    row.cell(text, style=bold if index in bold_rows else None)
        self.set_font(FONT_FAMILY, "", 10)
        self.ln(2)

    def signatures(self, signatories: Sequence[Signatory]) -> None:
        """Signature blocks side by side, each with a blank box to sign in."""
        line, box, gap = SIGNATURE_LINE_MM, SIGNATURE_BOX_MM, 6.0
        height = signatures_height(signatories)
        self.keep_together(height + 4)
        self.ln(2)
        columns = max(2, len(signatories))  # a lone block keeps half the width
        width = (self.epw - gap * (columns - 1)) / columns
        top = self.get_y()
        for index, signatory in enumerate(signatories):
            x = self.l_margin + index * (width + gap)
            self.set_xy(x, top)
            self.set_font(FONT_FAMILY, "B", 10.5)
            self.cell(width, line, signatory.heading, new_x=XPos.LEFT, new_y=YPos.NEXT)
            for label, value in signatory.fields:
                self.set_x(x)
                self.set_font(FONT_FAMILY, "B", 9.5)
                label_text = f"{label} : "
                self.cell(self.get_string_width(label_text) + 1, line, label_text)
                self.set_font(FONT_FAMILY, "", 9.5)
                self.cell(
                    width - self.get_string_width(label_text) - 1,
                    line,
                    value or BLANK,
                    new_x=XPos.LEFT,
                    new_y=YPos.NEXT,
                )
            self.set_x(x)
            self.set_font(FONT_FAMILY, "B", 9.5)
            self.cell(width, line, "Signature :", new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_draw_color(150)
            self.rect(x, self.get_y(), width, box)
        self.set_xy(self.l_margin, top + height)
        self.set_font(FONT_FAMILY, "", 10)

    def signing_section(
        self,
        heading: str,
        signatories: Sequence[Signatory],
        *,
        text: str = "",
        note: str = "",
    ) -> None:
        """A section to sign, its declaration text kept on one page with the signature blocks."""
        self.set_font(FONT_FAMILY, "", 10)
        text_height = 0.0
        if text:
            measured = self.multi_cell(0, 5, text, dry_run=True, output="HEIGHT")
            text_height = float(cast(float, measured)) + 12
        self.keep_together(text_height + signatures_height(signatories) + 20)
        self.section(heading)
        if text:
            self.paragraph(text)
        if note:
            self.note(note)
        self.signatures(signatories)

    def finish(self) -> bytes:
        return bytes(self.output())


# --- blocks every order document repeats -----------------------------------------------------


def order_identity(pdf: SonsPdf, extra: Sequence[tuple[str, str]] = ()) -> None:
    """Who, what and which rules: the first block of every document of an order."""
    context = pdf.context
    order, vendor, solution = context.order, context.vendor, context.solution
    referenced = (
        f" (référencée le {french_date(solution.referenced_on)})" if solution.referenced_on else ""
    )
    pdf.fields(
        [
            ("Fournisseur", f"{vendor.name} — SIRET {vendor.siret}"),
            ("Client", f"{context.client_name} — {context.client_identifier}"),
            ("Solution", solution.name),
            ("Version technique", solution.version),
            (
                "N° de référencement",
                (solution.referencing_number or NOT_PROVIDED) + referenced,
            ),
            ("Dispositif", f"{context.view.code} — {context.view.identity.label}"),
            ("Commande", f"n° {order.number}, signée le {french_date(order.signed_on)}"),
            *extra,
        ]
    )


def question_chunks(count: int, per_table: int) -> list[range]:
    """Split `count` question columns into tables of at most `per_table` columns."""
    if per_table < 1:
        raise ValueError("per_table must be at least 1")
    return [range(start, min(start + per_table, count)) for start in range(0, count, per_table)]


def questions_per_table(pdf: SonsPdf) -> int:
    return max(1, int((pdf.epw - FINESS_COLUMN_MM) // MIN_QUESTION_COLUMN_MM))


def wants_landscape(view: DispositifAtDate) -> bool:
    return len(view.questions) > PORTRAIT_MAX_QUESTIONS


def _answer(question: Question, answers: Mapping[str, Any]) -> str:
    return answer_label(question, answers.get(question.id))


def scenario_table(pdf: SonsPdf, scenarios: Sequence[SiteScenario]) -> None:
    """The « FINESS | question 1 | question 2 | … » table, its legend first.

    Columns are narrow, so questions are numbered and their full labels listed above; with
    more questions than fit across the page, the table is split, the FINESS column repeated.
    """
    questions = pdf.context.view.questions
    pdf.set_font("", "", 8.5)
    pdf.paragraph(
        "Réponses : Oui / Non, ou texte libre ; « non répondu » quand la question est restée "
        "sans réponse. Questions :",
        size=8.5,
    )
    for number, question in enumerate(questions, start=1):
        pdf.set_x(pdf.l_margin)
        pdf.set_font(FONT_FAMILY, "B", 8.5)
        pdf.cell(10, 4.3, f"Q{number}")
        pdf.set_font(FONT_FAMILY, "", 8.5)
        pdf.multi_cell(0, 4.3, question.label, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    if not scenarios:
        pdf.paragraph("Aucun site dans la commande.")
        return
    chunks = question_chunks(len(questions), questions_per_table(pdf))
    for chunk in chunks:
        if len(chunks) > 1:
            pdf.subsection(f"Questions Q{chunk.start + 1} à Q{chunk.stop}")
        column = (pdf.epw - FINESS_COLUMN_MM) / len(chunk)
        headings = ["FINESS", *(f"Q{i + 1}" for i in chunk)]
        rows = [
            [
                f"{scenario.finess_et or NO_FINESS}\n{pdf.context.site_name(scenario.finess_et)}",
                *(_answer(questions[i], scenario.answers) for i in chunk),
            ]
            for scenario in scenarios
        ]
        pdf.data_table(headings, rows, [FINESS_COLUMN_MM, *([column] * len(chunk))], size=8)


def sites_in_order(
    context: DocumentContext,
    extra: Sequence[str | None] = (),
    installed: Sequence[SiteScenario] = (),
) -> list[str | None]:
    """Sites in the order's own order, then any other site named by the input, once each."""
    seen: dict[str | None, None] = {}
    for finess in (
        *(s.finess_et for s in context.order.sites),
        *(s.finess_et for s in installed),
        *extra,
    ):
        seen.setdefault(finess, None)
    return list(seen)


def site_heading(context: DocumentContext, finess_et: str | None) -> str:
    where = f"FINESS {finess_et}" if finess_et else NO_FINESS
    return f"Site {where} — {context.site_name(finess_et)}"


# --- writing ---------------------------------------------------------------------------------


def write_pdf(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically: a reader sees the old file or the new, never half.

    The temporary file sits in the same folder so that `os.replace` is a rename on one
    filesystem.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DocumentError(f"Dossier de destination introuvable : « {folder} ».")
    write_atomically(path, data)

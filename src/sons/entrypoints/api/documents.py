"""`/api/v1/orders/{number}/documents/{kind}`: the PDF documents of an order, built from the
store (bon de commande, MOM, VA, récapitulatif de solde)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import documented
from sons.entrypoints.api.tenancy import sons_of, vendor_of
from sons.entrypoints.web.files import attachment
from sons.services.documents import DOCUMENT_LABELS, DocumentKind, build_document

router = APIRouter(tags=["documents"])

NumberPath = Annotated[
    str,
    Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f/]+$", description="Numéro du bon."),
]
KIND_LIST = ", ".join(f"{kind.value} ({label})" for kind, label in DOCUMENT_LABELS.items())


@router.get(
    "/orders/{number}/documents/{kind}",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "Le document PDF."},
        **documented(401, 403, 404, 422),
    },
    description=f"Documents : {KIND_LIST}.",
)
def document(
    request: Request, number: NumberPath, kind: DocumentKind, caller: CallerDep
) -> Response:
    """Le PDF d'un de mes bons, daté du jour."""
    web = sons_of(request)
    content = build_document(
        web.engine,
        kind,
        vendor_id=vendor_of(caller),
        number=number,
        clock=web.settings.clock,
        referential=web.referential,
    )
    return attachment(f"{kind.value}-{number}.pdf", content)

"""Sample data for the evidence tests: a RIS vendor, two orders, and transmissions logs whose
expected counts are known line by line.

Order BC-EV-1 (RAD-RIS-Va1, signed 2023-02-01, solution « RIS Horizon » 4.2):
- site PARIS sends directly to the DMP, MSS Pro and MSS Patient (MOM for each);
- site BOURG sends to the DMP and MSS Patient through a third-party sender (VA for each).
Order BC-EV-2 (same solution, signed 2023-03-01): site LYON, DMP direct only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sons.domain.identifiers import MSS_CITIZEN_TEST_ADDRESS
from sons.domain.orders import (
    ClientKind,
    FundedDimension,
    LegalEntity,
    LegalStatus,
    OrderLine,
    PurchaseOrder,
    SiteScenario,
    Solution,
    Vendor,
)
from sons.formats.transmissions import NAMES
from sons.referential.loader import default_referential
from sons.store.directory import Establishment
from sons.store.unit_of_work import UnitOfWork

PARIS = "750712184"
BOURG = "010780054"
LYON = "690999214"
UNKNOWN_SITE = "010000024"  # a valid FINESS that is no site of the vendor's orders
RIS_DOC = "18748-4"
SIGNED = dt.date(2023, 2, 1)

VENDOR = Vendor("Éditeur Radiologie Numérique", "732829320", "73282932000074")
SOLUTION = Solution(
    name="RIS Horizon",
    version="4.2",
    referencing_number="REF-RIS-001",
    dispositif="RAD-RIS-Va1",
    profiles=frozenset({"general"}),
    referenced_on=dt.date(2022, 12, 15),
)

NONE = {
    "identity_referential": False,
    "hospital_environment": False,
    "mss_operator": "Mailiz",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": False,
    "dmp_via_pfi": False,
    "mss_pro_direct": False,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": False,
    "mss_patient_via_pfi": False,
}
PARIS_ANSWERS = {**NONE, "dmp_direct": True, "mss_pro_direct": True, "mss_patient_direct": True}
BOURG_ANSWERS = {**NONE, "dmp_via_pfi": True, "mss_patient_via_pfi": True}
LYON_ANSWERS = {**NONE, "dmp_direct": True}


def order(number: str, signed_on: dt.date, sites: Sequence[SiteScenario]) -> PurchaseOrder:
    return PurchaseOrder(
        number=number,
        vendor_siret=VENDOR.siret,
        solution_referencing_number=SOLUTION.referencing_number,
        dispositif=SOLUTION.dispositif,
        client_kind=ClientKind.LEGAL_ENTITY,
        client_id=PARIS,
        signed_on=signed_on,
        signatory="Dr Élise Martin",
        prestation_ht_cents=1_200_000,
        prestation_ttc_cents=1_440_000,
        referential_pin=default_referential().pin,
        sites=tuple(sites),
        lines=(OrderLine("Licence RIS", 1_200_000, FundedDimension.LICENCE),),
    )


ORDER_1 = order(
    "BC-EV-1", SIGNED, (SiteScenario(PARIS, PARIS_ANSWERS), SiteScenario(BOURG, BOURG_ANSWERS))
)
ORDER_2 = order("BC-EV-2", dt.date(2023, 3, 1), (SiteScenario(LYON, LYON_ANSWERS),))


@dataclass(frozen=True)
class Seeded:
    vendor_id: int


def seed(engine: Engine, clock: Any = None, *, profiles: Iterable[str] | None = None) -> Seeded:
    """The vendor, its solution (with every profile a RIS scenario may need), the two orders,
    and the directory names of the client and the sites."""
    referential = default_referential()
    view = referential.at("RAD-RIS-Va1", SIGNED)
    solution = SOLUTION
    every = frozenset(p.id for p in view.profiles)
    obtained = frozenset(profiles) if profiles is not None else every
    solution = Solution(
        solution.name,
        solution.version,
        solution.referencing_number,
        solution.dispositif,
        obtained,
        solution.referenced_on,
    )
    kwargs = {} if clock is None else {"clock": clock}
    with UnitOfWork(engine, "amorçage", **kwargs) as uow:
        vendor_id = uow.vendors.save(VENDOR).id
        uow.solutions.save(vendor_id, solution)
        uow.orders.add_many(vendor_id, [ORDER_1, ORDER_2])
        uow.directory.upsert_legal_entities(
            [LegalEntity(PARIS, "Centre d'imagerie de Paris", LegalStatus.PRIVATE)]
        )
        uow.directory.upsert_establishments(
            [
                _establishment(PARIS, "Imagerie Paris Centre"),
                _establishment(BOURG, "Imagerie de Bourg-en-Bresse"),
                _establishment(LYON, "Imagerie de Lyon"),
            ]
        )
    return Seeded(vendor_id)


def _establishment(finess: str, name: str) -> Establishment:
    return Establishment(finess_et=finess, finess_ej=PARIS, name=name, department=finess[:2])


# --- logs ---------------------------------------------------------------------------------------

_counter = iter(range(1, 10**9))


def row(
    *,
    site: str = PARIS,
    flow: str = "dmp",
    route: str = "direct",
    ins: str = "qualifiee",
    doc: str = RIS_DOC,
    recipient: str = "",
    ack: str = "ok",
    software: str = "RIS Horizon",
    version: str = "4.2",
    at: str = "2023-03-02T10:15:00+01:00",
    message_id: str | None = None,
) -> dict[str, str]:
    """One line of a log, as text, with a fresh message id unless given."""
    return {
        "horodatage": at,
        "finess_et": site,
        "flux": flow,
        "voie": route,
        "statut_ins": ins,
        "type_document": doc,
        "destinataire": recipient,
        "accuse": ack,
        "logiciel": software,
        "version_logiciel": version,
        "id_message": message_id or f"MSG-{next(_counter):08d}",
    }


def pro(**changes: Any) -> dict[str, str]:
    return row(**{"flow": "mss_pro", "recipient": "dr.martin@hopital.mssante.fr", **changes})


def patient_test(**changes: Any) -> dict[str, str]:
    return row(**{"flow": "mss_patient", "recipient": MSS_CITIZEN_TEST_ADDRESS, **changes})


def expected_log() -> tuple[list[dict[str, str]], dict[tuple[str, str, str], int]]:
    """A log and the exact count expected per (site, flow, route) for BC-EV-1 / BC-EV-2.

    Every way a line may fail to count appears once next to lines that count.
    """
    rows: list[dict[str, str]] = []
    # PARIS, DMP direct: 7 count.
    rows += [row(at=f"2023-03-{day:02d}T09:00:00+01:00") for day in range(1, 8)]
    rows += [
        row(ack="ko"),  # not acknowledged
        row(ins="non_qualifiee"),  # INS not qualified
        row(ins="absente"),  # no INS
        row(doc="11502-2"),  # a lab report, not a radiology report
        row(doc=""),  # no document type
        row(at="2023-01-31T22:59:59+00:00"),  # the day before the order (UTC)
        row(version="4.1"),  # another version
        row(software="Autre RIS"),  # another software
        row(route="third_party"),  # another route
    ]
    rows.append(row(at="2023-02-01T00:00:00+00:00"))  # the signature day counts (8th)
    rows.append(row(software="ris  HORIZON"))  # the same software, spelt otherwise (9th)
    # PARIS, MSS Pro direct: 10 count (threshold reached).
    rows += [pro() for _ in range(10)]
    rows.append(pro(ins="non_qualifiee"))
    # PARIS, MSS Patient direct: 1 to the test address counts; one to a patient does not.
    rows.append(patient_test(ins="absente"))
    rows.append(row(flow="mss_patient", recipient="123456789012345@patient.mssante.fr"))
    # BOURG, DMP via a third party: 10 count; MSS Patient via a third party: none.
    rows += [row(site=BOURG, route="third_party") for _ in range(10)]
    rows.append(row(site=BOURG, route="direct"))  # BOURG does not send directly
    # LYON (BC-EV-2, signed 2023-03-01): 2 count, 1 is before its order.
    rows += [row(site=LYON), row(site=LYON), row(site=LYON, at="2023-02-15T10:00:00+01:00")]
    expected = {
        (PARIS, "dmp", "direct"): 9,
        (PARIS, "mss_pro", "direct"): 10,
        (PARIS, "mss_patient", "direct"): 1,
        (BOURG, "dmp", "third_party"): 10,
        (BOURG, "mss_patient", "third_party"): 0,
        (LYON, "dmp", "direct"): 2,
    }
    return rows, expected


def csv_text(rows: Iterable[Mapping[str, str]], *, header: Sequence[str] = NAMES) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    for item in rows:
        writer.writerow([item.get(name, "") for name in header])
    return out.getvalue()


def write_csv(path: Path, rows: Iterable[Mapping[str, str]]) -> Path:
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: Iterable[Mapping[str, str]]) -> Path:
    path.write_text(
        "".join(json.dumps(dict(r), ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


# --- a VA signed with a self-signed certificate made on the spot ---------------------------------


def signed_pdf(signer: str = "Dr Élise Martin", text: str = "VA signée") -> bytes:
    """A one-page PDF signed (PAdES, pyHanko) by a self-signed certificate of `signer`.

    Uncompressed, so that a test can alter one byte of the signed text and keep the PDF
    readable."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(False)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, text)
    return sign_pdf(bytes(pdf.output()), signer)


def sign_pdf(document: bytes, signer: str = "Dr Élise Martin") -> bytes:
    """`document` signed (PAdES, pyHanko, incremental update) by a self-signed certificate of
    `signer` made on the spot: what a client's signing tool does to the VA sons printed."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, signer),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Centre d'imagerie de Paris"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signing = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(
            certificate.public_bytes(serialization.Encoding.DER)
        ),
        signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        cert_registry=None,
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(document)),
        signers.PdfSignatureMetadata(field_name="SignatureClient"),
        signer=signing,
    )
    return out.getvalue()


def altered(signed: bytes, text: str = "VA signée") -> bytes:
    """The same file with one byte of the signed page text changed."""
    data = bytearray(signed)
    at = bytes(data).index(text.encode("latin-1")[:2]) + 1
    data[at] = data[at] ^ 0x01
    return bytes(data)


def unsigned_pdf(text: str = "VA scannée") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())

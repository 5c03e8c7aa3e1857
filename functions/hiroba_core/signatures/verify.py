"""Verify a signed PDF (PAdES) or a file with a detached CMS/PKCS#7 signature, in memory.

    verdict = verify_pdf(pdf_bytes, trust)
    verdict = verify_detached(file_bytes, signature_bytes, trust)
    verdict.valid, verdict.cause, verdict.signer, verdict.as_dict()

What is checked: the bytes are what was signed (integrity) and nothing but long-term
validation data was added to a PDF after signing; the signature itself (cryptography); the
signer's certificate chains to a configured trust anchor; each certificate of the chain is
within its validity period and not revoked, by the configured CRLs (no CRL for a CA means
"revocation unknown"), at the time of verification: a time the signer writes into the
signature proves nothing, and a trusted timestamp is reported but not yet used as proof of
an earlier signing time (docs/signatures.md).

Each failure has one cause (CAUSES), the first that applies in the order of CAUSES, with a
Japanese and an English message; the intake and the verification API turn it into a
problem of its own type. Nothing here reads or writes a file or logs the bytes.
"""

import asyncio
import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import cms
from asn1crypto import pem as asn1_pem
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation import (
    async_validate_detached_cms,
    async_validate_pdf_signature,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel

from .causes import CAUSES

_EXPIRED = {
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
    AdESFailure.NOT_YET_VALID,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
}
_REVOKED = {
    AdESFailure.REVOKED,
    AdESIndeterminate.REVOKED_NO_POE,
    AdESIndeterminate.REVOKED_CA_NO_POE,
}
_UNKNOWN_REVOCATION = {
    AdESIndeterminate.TRY_LATER,
    AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE,
}
_UNMODIFIED = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
# pyHanko logs a failed path with the certificate's subject: a resident's name, which must
# not reach the logs. The Verdict says what failed.
for _name_ in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name_).setLevel(logging.CRITICAL)
PDF_HEADER_WINDOW = 1024  # the PDF header may follow some bytes of junk (ISO 32000-1 7.5.2)


@dataclass(frozen=True)
class Verdict:
    """What a verification found; `cause` is None when valid, else a key of CAUSES."""

    valid: bool
    cause: str | None = None
    kind: str = "pdf"  # "pdf" (PAdES) or "detached" (CMS)
    signer: dict | None = None  # common_name, organization, serial, issuer
    signing_time: datetime | None = None  # as the signer wrote it (informative)
    timestamp: datetime | None = None  # of a trusted timestamp, if any
    modified_after_signing: bool | None = None
    chain: tuple = ()  # subject names, signer first, anchor last
    trusted_anchor: str | None = None
    revocation: str = "not-checked"  # good / revoked / unknown / not-checked
    signatures: int = 0  # how many signatures the PDF holds
    extra: dict = field(default_factory=dict)

    @property
    def message(self):
        return CAUSES[self.cause] if self.cause else ("有効な署名です。", "The signature is valid.")

    def as_dict(self):
        ja, en = self.message
        return {
            "valid": self.valid,
            "cause": self.cause,
            "message": ja,
            "message_en": en,
            "kind": self.kind,
            "signer": self.signer,
            "signing_time": _iso(self.signing_time),
            "timestamp": _iso(self.timestamp),
            "modified_after_signing": self.modified_after_signing,
            "chain": list(self.chain),
            "trusted_anchor": self.trusted_anchor,
            "revocation": self.revocation,
            "signatures": self.signatures,
        }


def _iso(moment):
    return moment.isoformat(timespec="seconds") if moment else None


def _name(certificate):
    names = certificate.subject.native
    return names.get("common_name") or certificate.subject.human_friendly


def _signer(certificate):
    subject = certificate.subject.native
    return {
        "common_name": subject.get("common_name"),
        "organization": subject.get("organization_name"),
        "serial": format(certificate.serial_number, "X"),
        "issuer": certificate.issuer.native.get("common_name") or certificate.issuer.human_friendly,
    }


def _general_failure(path, trust):
    """pyHanko reports a path that was found but failed (no CRL for a certificate, an
    expired CA) as one general failure: tell these apart from the path and the trust."""
    now = datetime.now(UTC)
    issuers = {c.issuer.dump() for c in trust.crls}
    for certificate in path.iter_certs(include_root=False):
        if certificate.issuer.dump() not in issuers:
            return "revocation-unknown"
        if not certificate.not_valid_before <= now <= certificate.not_valid_after:
            return "expired"
    return "untrusted"


def _trust_cause(status, trust):
    indication = status.trust_problem_indic
    if status.revoked or indication in _REVOKED:
        return "revoked"
    if indication in _EXPIRED:
        return "expired"
    if indication in _UNKNOWN_REVOCATION:
        return "revocation-unknown"
    path = status.validation_path
    if indication == AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE and path is not None:
        return _general_failure(path, trust)
    if indication is not None or path is None:
        return "untrusted"
    return None


def _revocation(status, cause):
    if status.revoked or cause == "revoked":
        return "revoked"
    if cause == "revocation-unknown":
        return "unknown"
    return "good" if status.validation_path is not None and cause is None else "not-checked"


def _from_status(status, trust, kind, integrity_cause, modified=False, signatures=1):
    """A Verdict from pyHanko's status: integrity first, then the signature, then trust."""
    if not status.intact:
        cause = integrity_cause
    elif not status.valid:
        cause = "bad-signature"
    elif modified:
        cause = "modified"
    else:
        cause = _trust_cause(status, trust)
    path = status.validation_path
    chain = (
        tuple(_name(c) for c in reversed(list(path.iter_certs(include_root=True)))) if path else ()
    )
    anchor = None
    if path is not None and cause is None:
        anchor = path.trust_anchor.authority.name.native.get("common_name")
    timestamp = getattr(status, "timestamp_validity", None)
    return Verdict(
        valid=cause is None,
        cause=cause,
        kind=kind,
        signer=_signer(status.signing_cert),
        signing_time=getattr(status, "signer_reported_dt", None),
        timestamp=timestamp.timestamp if timestamp is not None and timestamp.trusted else None,
        modified_after_signing=(not status.intact) or modified,
        chain=chain or (_name(status.signing_cert),),
        trusted_anchor=anchor,
        revocation=_revocation(status, cause),
        signatures=signatures,
    )


def _run(coroutine, context):
    async def run():
        try:
            return await coroutine
        finally:
            # the context's fetchers (none unless fetching is on) are closed here
            backend = getattr(context, "fetcher_backend", None)
            if backend is not None and hasattr(backend, "close"):
                await backend.close()

    return asyncio.run(run())


def _has_pdf_header(data):
    return b"%PDF-" in data[:PDF_HEADER_WINDOW]


def verify_pdf(data, trust):
    """The Verdict of every signature in the PDF `data` (the first that fails decides)."""
    kind = "pdf"
    if not isinstance(data, bytes | bytearray) or not _has_pdf_header(bytes(data)):
        return Verdict(False, "not-pdf", kind)
    try:
        reader = PdfFileReader(io.BytesIO(bytes(data)), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return Verdict(False, "damaged", kind)
    if not signatures:
        return Verdict(False, "unsigned", kind)
    verdicts = []
    for signature in signatures:
        context = trust.context()
        try:
            status = _run(async_validate_pdf_signature(signature, context), context)
        except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return Verdict(False, "damaged", kind, signatures=len(signatures))
        modified = not (
            status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            or (
                status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
                and status.modification_level in _UNMODIFIED
            )
        )
        verdicts.append(_from_status(status, trust, kind, "modified", modified, len(signatures)))
    return next((v for v in verdicts if not v.valid), verdicts[0])


def _signed_data(signature):
    data = bytes(signature)
    if asn1_pem.detect(data):
        data = asn1_pem.unarmor(data)[2]
    info = cms.ContentInfo.load(data)
    if info["content_type"].native != "signed_data":
        raise ValueError("not SignedData")
    signed = info["content"]
    _ = signed.native  # parse it all now: a broken structure fails here, not inside pyHanko
    if not signed["signer_infos"]:
        raise ValueError("no signer")
    return signed


def verify_detached(data, signature, trust):
    """The Verdict of the CMS/PKCS#7 `signature` (DER or PEM) over the bytes `data`."""
    kind = "detached"
    try:
        signed = _signed_data(signature)
    except (ValueError, TypeError, KeyError, AttributeError):
        return Verdict(False, "not-a-signature", kind)
    try:
        if not extract_certificate_info(signed).signer_cert:
            return Verdict(False, "not-a-signature", kind)
    except (ValueError, KeyError, AttributeError, TypeError, IndexError):
        return Verdict(False, "not-a-signature", kind)
    context = trust.context()
    try:
        status = _run(
            async_validate_detached_cms(bytes(data), signed, signer_validation_context=context),
            context,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return Verdict(False, "not-a-signature", kind)
    return _from_status(status, trust, kind, "not-matching")

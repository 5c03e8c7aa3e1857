"""Signed files as the APIs receive them, base64 in JSON:

    {"pdf": "<signed PDF>"}                                   PAdES
    {"file": "<any file>", "signature": "<CMS/PKCS#7, DER or PEM>"}   detached

`read` decodes and checks the shape and sizes (ValidationFailed naming the field), `check`
verifies and returns the Verdict; `require` is what the application intake calls for a
procedure whose catalogue entry says `signature = true`. Everything stays in memory.
"""

import base64
import binascii

from ..errors import FieldError, SignatureRejected, ValidationFailed

MAX_FILE = 2 * 1024 * 1024  # bytes of a signed PDF or of a signed file
MAX_SIGNATURE = 64 * 1024  # a detached signature with its certificates


def _decode(errors, prefix, name, value, limit):
    field = f"{prefix}.{name}"
    if not isinstance(value, str) or not value:
        errors.append(
            FieldError(field, f"{name} にファイルをBase64で入れてください", f"{name}: base64 data")
        )
        return None
    if len(value) > (limit + 2) // 3 * 4 + 4:
        errors.append(
            FieldError(
                field,
                f"ファイルは{limit // 1024 // 1024 or 1}MB以内にしてください"
                if limit >= 1024 * 1024
                else f"署名ファイルは{limit // 1024}KB以内にしてください",
                f"{name} must be at most {limit} bytes",
            )
        )
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        errors.append(
            FieldError(field, f"{name} をBase64として読み取れません", f"{name} is not valid base64")
        )
        return None


def read(value, prefix="signature"):
    """("pdf", pdf, None) or ("detached", file, signature) from the JSON object `value`."""
    if not isinstance(value, dict) or not (
        set(value) == {"pdf"} or set(value) == {"file", "signature"}
    ):
        raise ValidationFailed(
            [
                FieldError(
                    prefix,
                    "署名したPDF（pdf）か、ファイル（file）とその分離署名（signature）を送ってください",
                    'Send {"pdf": base64} or {"file": base64, "signature": base64}',
                )
            ]
        )
    errors = []
    if "pdf" in value:
        pdf = _decode(errors, prefix, "pdf", value["pdf"], MAX_FILE)
        if errors:
            raise ValidationFailed(errors)
        return "pdf", pdf, None
    data = _decode(errors, prefix, "file", value["file"], MAX_FILE)
    signature = _decode(errors, prefix, "signature", value["signature"], MAX_SIGNATURE)
    if errors:
        raise ValidationFailed(errors)
    return "detached", data, signature


def check(value, trust, prefix="signature"):
    """The Verdict of the signed file in `value` (see read)."""
    return _verify(*read(value, prefix), trust)


def check_uploaded(files, trust):
    """The Verdict of files a form uploaded ({name: bytes}; an empty choice is b""): a
    signed PDF in `pdf`, or a file in `file` and its signature in `signature`, each within
    the same limits as the JSON's; ValidationFailed naming the form's fields otherwise."""
    pdf, data, signature = (files.get(name) or b"" for name in ("pdf", "file", "signature"))
    if pdf and not (data or signature):
        _require_size("pdf", pdf, MAX_FILE)
        return _verify("pdf", pdf, None, trust)
    errors = []
    if pdf or not (data or signature):
        errors.append(
            FieldError(
                "pdf" if not (data or signature) else "file",
                "署名したPDFか、ファイルとその署名ファイルの組を選んでください",
                "Choose a signed PDF, or a file and its signature file",
            )
        )
    elif not data:
        errors.append(
            FieldError("file", "署名したファイルを選んでください", "Choose the signed file")
        )
    elif not signature:
        errors.append(
            FieldError("signature", "署名ファイルを選んでください", "Choose the signature file")
        )
    if errors:
        raise ValidationFailed(errors)
    _require_size("file", data, MAX_FILE)
    _require_size("signature", signature, MAX_SIGNATURE)
    return _verify("detached", data, signature, trust)


def _require_size(name, data, limit):
    if len(data) > limit:
        size = f"{limit // 1024 // 1024}MB" if limit >= 1024 * 1024 else f"{limit // 1024}KB"
        raise ValidationFailed(
            [FieldError(name, f"ファイルは{size}以内にしてください", f"{name}: at most {size}")]
        )


def _verify(kind, data, signature, trust):
    from . import verify  # pyHanko only where a signature is checked

    if kind == "pdf":
        return verify.verify_pdf(data, trust)
    return verify.verify_detached(data, signature, trust)


def require(raw, trust):
    """The valid Verdict of the application's `signature`, or ValidationFailed (missing or
    malformed) or SignatureRejected (it did not verify)."""
    value = raw.get("signature")
    if value is None:
        raise ValidationFailed(
            [
                FieldError(
                    "signature",
                    "この手続には電子署名が必要です。署名したPDFか、ファイルとその署名ファイルを添えてください",
                    "This procedure requires an electronic signature: a signed PDF, or a file and its signature",
                )
            ]
        )
    if trust is None:  # no configuration: no anchor, so nothing verifies
        from .trust import Trust

        trust = Trust()
    verdict = check(value, trust)
    if not verdict.valid:
        raise SignatureRejected(verdict)
    return verdict


def signed_by(verdict):
    """What the application records of the signer (kept with the applicant's data, so it
    expires with it)."""
    return {
        **(verdict.signer or {}),
        "kind": verdict.kind,
        "signing_time": verdict.as_dict()["signing_time"],
        "trusted_anchor": verdict.trusted_anchor,
    }

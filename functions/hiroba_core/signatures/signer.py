"""The one interface the platform signs through: a pyHanko `Signer` with the 団体's
certificate and chain. Two implementations, chosen by configuration (HIROBA_SIGNER):

    p12   a PKCS#12 file and its passphrase (local development: the test CA of
          infra/local/test_ca.py; never in production)
    kms   the key in AWS KMS, the certificate chain from configuration (kms.KmsSigner)

There is no default signer: without the settings, `from_settings` raises SignerUnavailable
and no document is issued, rather than one signed by a key nobody vouches for.

    pdf = sign_pdf(unsigned_pdf, from_settings(settings), timestamper=timestamper(settings))
"""

import io
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner


class SignerUnavailable(RuntimeError):
    """No signer is configured, or its key or certificate cannot be read."""


def p12_signer(path, passphrase):
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=passphrase)
    except OSError as error:
        raise SignerUnavailable(f"PKCS#12 file {path}: {error.strerror}") from None
    if signer is None:
        raise SignerUnavailable(f"PKCS#12 file {path} could not be opened with its passphrase")
    return signer


def from_settings(settings):
    """The configured signer, or SignerUnavailable naming what to set."""
    kind = settings.signer
    if kind == "p12":
        if settings.production:
            raise SignerUnavailable("a PKCS#12 file is for development; use HIROBA_SIGNER=kms")
        if not settings.signer_p12 or not settings.signer_passphrase_file:
            raise SignerUnavailable("HIROBA_SIGNER_P12 and HIROBA_SIGNER_PASSPHRASE_FILE")
        passphrase = Path(settings.signer_passphrase_file).read_bytes().strip()
        return p12_signer(settings.signer_p12, passphrase)
    if kind == "kms":
        from . import kms  # boto3 only where KMS is used

        return kms.from_settings(settings)
    raise SignerUnavailable("HIROBA_SIGNER (p12 or kms) is not set: documents are not signed")


def timestamper(settings):
    """An RFC 3161 timestamp client when HIROBA_TSA_URL names a TSA, else None."""
    url = settings.tsa_url
    return timestamps.HTTPTimeStamper(url) if url else None


def sign_pdf(pdf, signer, *, timestamper=None, reason=None, location=None, name="団体署名"):
    """The PDF `pdf` (bytes) signed with PAdES (B-B, or B-T with a timestamper)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = PdfSignatureMetadata(
        field_name=name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    out = PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer)
    return out.getvalue()

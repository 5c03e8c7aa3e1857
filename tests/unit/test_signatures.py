"""hiroba_core.signatures: each case of issue #16 gives its verdict, from the library."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.sign import timestamps
from pypdf import PdfReader

from hiroba_core.signatures import signer, verify
from hiroba_core.signatures.trust import Trust
from infra.local import test_ca as ca
from tests.signing_pki import Pki, asn1_cert, asn1_key, tampered


@pytest.fixture(scope="module")
def pki():
    return Pki()


def test_a_valid_signed_pdf_is_valid_with_its_signer_chain_and_revocation(pki):
    verdict = verify.verify_pdf(pki.good.sign_pdf(pki.document), pki.trust)
    assert verdict.valid and verdict.cause is None
    assert verdict.signer["common_name"] == "宮城 花子"
    assert verdict.signer["organization"] == "テスト株式会社"
    assert verdict.chain == ("宮城 花子", "テスト 中間", "テスト ルート")
    assert verdict.trusted_anchor == "テスト ルート"
    assert verdict.revocation == "good"
    assert verdict.modified_after_signing is False
    assert verdict.signing_time is not None
    assert verdict.as_dict()["message_en"] == "The signature is valid."


def test_a_pdf_changed_after_signing_is_modified(pki):
    verdict = verify.verify_pdf(tampered(pki.good.sign_pdf(pki.document)), pki.trust)
    assert (verdict.valid, verdict.cause, verdict.modified_after_signing) == (
        False,
        "modified",
        True,
    )


def test_a_certificate_expired_at_signing_time_is_expired(pki):
    verdict = verify.verify_pdf(pki.expired.sign_pdf(pki.document), pki.trust)
    assert (verdict.valid, verdict.cause) == (False, "expired")


def test_a_revoked_certificate_is_revoked(pki):
    verdict = verify.verify_pdf(pki.revoked.sign_pdf(pki.document), pki.trust)
    assert (verdict.valid, verdict.cause, verdict.revocation) == (False, "revoked", "revoked")


def test_a_chain_to_another_root_is_untrusted(pki):
    verdict = verify.verify_pdf(pki.stranger.sign_pdf(pki.document), pki.trust)
    assert (verdict.valid, verdict.cause, verdict.trusted_anchor) == (False, "untrusted", None)


def test_without_configured_anchors_nothing_is_trusted(pki):
    verdict = verify.verify_pdf(pki.good.sign_pdf(pki.document), Trust())
    assert verdict.cause == "untrusted"


def test_without_a_crl_revocation_is_unknown(pki):
    trust = Trust.from_pem(anchors=ca.pem(pki.root), intermediates=ca.pem(pki.intermediate))
    verdict = verify.verify_pdf(pki.good.sign_pdf(pki.document), trust)
    assert (verdict.cause, verdict.revocation) == ("revocation-unknown", "unknown")


def test_an_unsigned_pdf_is_unsigned(pki):
    assert verify.verify_pdf(pki.document, pki.trust).cause == "unsigned"


def test_a_truncated_pdf_is_damaged(pki):
    signed = pki.good.sign_pdf(pki.document)
    assert verify.verify_pdf(signed[: len(signed) // 2], pki.trust).cause == "damaged"


def test_a_file_that_is_not_a_pdf_is_not_pdf(pki):
    executable = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)  # a Windows program renamed .pdf
    assert verify.verify_pdf(executable, pki.trust).cause == "not-pdf"


def test_a_detached_signature_verifies_with_its_file(pki):
    data = "申請書の本文です。".encode()
    for pem in (False, True):
        verdict = verify.verify_detached(data, pki.good.detached(data, pem), pki.trust)
        assert verdict.valid, verdict
        assert (verdict.kind, verdict.signer["common_name"]) == ("detached", "宮城 花子")


def test_a_signature_over_another_file_is_not_matching(pki):
    signature = pki.good.detached(b"the file that was signed")
    verdict = verify.verify_detached(b"another file", signature, pki.trust)
    assert (verdict.valid, verdict.cause) == (False, "not-matching")


def test_detached_signatures_of_revoked_expired_and_unknown_signers(pki):
    data = b"data"
    causes = [
        verify.verify_detached(data, party.detached(data), pki.trust).cause
        for party in (pki.revoked, pki.expired, pki.stranger)
    ]
    assert causes == ["revoked", "expired", "untrusted"]


def test_a_signature_file_that_is_not_cms_is_not_a_signature(pki):
    for junk in (b"", b"not a signature", pki.document[:300]):
        assert verify.verify_detached(b"data", junk, pki.trust).cause == "not-a-signature"


def test_every_cause_has_japanese_and_english(pki):
    for cause, (ja, en) in verify.CAUSES.items():
        assert ja and en and ja != en, cause


def test_the_document_embeds_its_japanese_font_and_the_text_extracts(pki):
    reader = PdfReader(io.BytesIO(pki.good.sign_pdf(pki.document)))
    text = reader.pages[0].extract_text()
    assert "納税証明書" in text and "宮城 花子" in text and "自動車税（種別割）" in text
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [
        f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        for f in fonts.values()
    ]
    assert any("/FontFile2" in d and "IPAexGothic" in str(d["/FontName"]) for d in embedded)


def test_a_trusted_timestamp_is_verified_and_reported(pki):
    now = datetime.now(UTC)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA
    tsa = (
        x509.CertificateBuilder()
        .subject_name(ca.name("テスト 時刻認証局"))
        .issuer_name(pki.intermediate.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(pki.intermediate_key, hashes.SHA256())
    )
    moment = (now - timedelta(minutes=1)).replace(microsecond=0)
    stamper = timestamps.DummyTimeStamper(
        tsa_cert=asn1_cert(tsa), tsa_key=asn1_key(tsa_key), fixed_dt=moment
    )
    pdf = signer.sign_pdf(pki.document, pki.good.pyhanko(), timestamper=stamper)
    verdict = verify.verify_pdf(pdf, pki.trust)
    assert verdict.valid, verdict
    assert verdict.timestamp == moment

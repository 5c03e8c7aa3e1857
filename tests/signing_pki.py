"""A PKI made in the tests with `cryptography` (through infra/local/test_ca.py's building
blocks): a root, an intermediate, a good, a revoked and an expired signer, CRLs of both
authorities, and a second root nobody trusts with a signer of its own. Plus helpers to sign
a PDF (pyHanko) and to make a detached CMS signature (cryptography's PKCS#7 builder, as an
outside tool would)."""

from datetime import UTC, datetime, timedelta
from functools import cached_property

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from hiroba_core.signatures import documents, signer
from hiroba_core.signatures.trust import Trust
from infra.local import test_ca as ca

DER = serialization.Encoding.DER


def asn1_cert(certificate):
    return asn1_x509.Certificate.load(certificate.public_bytes(DER))


def asn1_key(private_key):
    return asn1_keys.PrivateKeyInfo.load(
        private_key.private_bytes(
            DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


class Party:
    """A signer: key, certificate, and the chain above it."""

    def __init__(self, key, certificate, chain):
        self.key, self.certificate, self.chain = key, certificate, chain

    def pyhanko(self):
        return signers.SimpleSigner(
            signing_cert=asn1_cert(self.certificate),
            signing_key=asn1_key(self.key),
            cert_registry=SimpleCertificateStore.from_certs([asn1_cert(c) for c in self.chain]),
        )

    def sign_pdf(self, pdf):
        return signer.sign_pdf(pdf, self.pyhanko())

    def detached(self, data, pem=False):
        builder = pkcs7.PKCS7SignatureBuilder().set_data(data)
        builder = builder.add_signer(self.certificate, self.key, hashes.SHA256())
        for certificate in self.chain:
            builder = builder.add_certificate(certificate)
        encoding = serialization.Encoding.PEM if pem else DER
        return builder.sign(encoding, [pkcs7.PKCS7Options.DetachedSignature])


class Pki:
    def __init__(self):
        now = datetime.now(UTC)
        self.root_key, self.intermediate_key = ca.key(), ca.key()
        self.root = ca.certificate(ca.name("テスト ルート"), self.root_key, ca=True)
        self.intermediate = ca.certificate(
            ca.name("テスト 中間"), self.intermediate_key, self.root, self.root_key, ca=True
        )
        chain = [self.intermediate, self.root]

        def leaf(common_name, **dates):
            key = ca.key()
            certificate = ca.certificate(
                ca.name(common_name, "テスト株式会社"),
                key,
                self.intermediate,
                self.intermediate_key,
                **dates,
            )
            return Party(key, certificate, chain)

        self.good = leaf("宮城 花子")
        self.revoked = leaf("失効 太郎")
        self.expired = leaf(
            "期限切 次郎", not_before=now - timedelta(days=400), not_after=now - timedelta(days=1)
        )
        other_key = ca.key()
        other_root = ca.certificate(ca.name("信頼されないルート"), other_key, ca=True)
        stranger_key = ca.key()
        self.stranger = Party(
            stranger_key,
            ca.certificate(ca.name("知らない 人"), stranger_key, other_root, other_key),
            [other_root],
        )
        self.root_crl = ca.crl(self.root, self.root_key)
        self.intermediate_crl = ca.crl(
            self.intermediate, self.intermediate_key, [self.revoked.certificate]
        )

    @cached_property
    def trust(self):
        return Trust.from_pem(
            anchors=ca.pem(self.root),
            intermediates=ca.pem(self.intermediate),
            crls=[ca.pem(self.root_crl), ca.pem(self.intermediate_crl)],
        )

    @cached_property
    def document(self):
        """An unsigned PDF with Japanese text (the platform's own renderer)."""
        return documents.render(
            documents.TEMPLATES["nozei-shomei"],
            reference="ACEF-GHJK-MNPR",
            applicant={"name": "宮城 花子", "address": "仙台市青葉区本町三丁目8番1号"},
            answers={"tax": "自動車税（種別割）", "fiscal_year": "令和7年度"},
            issuer="宮城県知事",
            issued_at=documents.issued_now(),
            procedure_title="県税の納税証明書の交付申請",
        )


def tampered(pdf):
    """The signed PDF with one byte of its signed content changed (the title's text)."""
    data = bytearray(pdf)
    at = data.index(b"/Producer")
    data[at + 12] ^= 0x01
    return bytes(data)

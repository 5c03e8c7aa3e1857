"""A test certificate authority for development and tests, never for production.

`make run` (through LocalStack) calls `ensure(folder)`, which writes into `.hiroba/ca/`
(ignored by Git) once per checkout:

    root.pem           テスト用ルート認証局 (the trust anchor the local apps are given)
    intermediate.pem   テスト用中間認証局
    signer.p12         the 団体's signing key and certificate (standing in for LGPKI's
                       職責証明書), with the chain; passphrase in signer.passphrase
    root.crl, intermediate.crl   the CRLs both authorities publish (nothing revoked)

and `settings(folder)` gives the environment that points the signer and the trust anchors
there (HIROBA_SIGNER_P12, HIROBA_TRUST_ANCHORS, HIROBA_TRUST_CRLS, ...). The building blocks
(`key`, `certificate`, `crl`) are what the tests use to make revoked, expired and untrusted
certificates of their own.

    python -m infra.local.test_ca .hiroba/ca     # make (or keep) the files and print the settings
"""

import argparse
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = timedelta(days=1)


def key():
    return ec.generate_private_key(ec.SECP256R1())


def name(common_name, organization="宮城県（テスト）"):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def certificate(
    subject,
    subject_key,
    issuer=None,
    issuer_key=None,
    *,
    ca=False,
    not_before=None,
    not_after=None,
    crl_url=None,
    serial=None,
):
    """A certificate for `subject_key`, issued by (`issuer`, `issuer_key`) or self-signed.
    A CA certificate may sign certificates and CRLs; an end-entity one signs documents
    (digitalSignature + nonRepudiation, as a 職責証明書 or a 署名用電子証明書 does)."""
    now = datetime.now(UTC)
    not_before = not_before or now - DAY
    not_after = not_after or now + 3650 * DAY
    issuer_name = issuer.subject if issuer is not None else subject
    signing_key = issuer_key or subject_key
    # a private key, or only the public key (one kept in KMS, certified from its public half)
    public = subject_key.public_key() if hasattr(subject_key, "private_bytes") else subject_key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def crl(issuer, issuer_key, revoked=(), *, revoked_at=None, next_update=None):
    """A CRL of `issuer` listing the certificates `revoked` (certificates or serials)."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(next_update or now + 7 * DAY)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    for item in revoked:
        serial = item.serial_number if isinstance(item, x509.Certificate) else item
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(revoked_at or now - timedelta(minutes=10))
            .build()
        )
    return builder.sign(issuer_key, hashes.SHA256())


def pem(certificate_or_crl):
    return certificate_or_crl.public_bytes(serialization.Encoding.PEM)


def p12(signing_key, signing_certificate, chain, passphrase):
    return pkcs12.serialize_key_and_certificates(
        b"hiroba-signer",
        signing_key,
        signing_certificate,
        list(chain),
        serialization.BestAvailableEncryption(passphrase.encode()),
    )


FILES = ("root.pem", "intermediate.pem", "signer.p12", "signer.passphrase", "root.crl")


def ensure(folder, signer_name="宮城県知事（テスト用 職責証明書）"):
    """Create the test CA in `folder` unless it is there; returns `settings(folder)`.
    The CRLs are written again each time (they expire after a week)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not all((folder / f).is_file() for f in FILES):
        root_key, intermediate_key, signer_key = key(), key(), key()
        root = certificate(name("ひろば テスト用ルート認証局"), root_key, ca=True)
        intermediate = certificate(
            name("ひろば テスト用中間認証局"), intermediate_key, root, root_key, ca=True
        )
        signer = certificate(name(signer_name), signer_key, intermediate, intermediate_key)
        passphrase = secrets.token_urlsafe(24)
        (folder / "root.pem").write_bytes(pem(root))
        (folder / "intermediate.pem").write_bytes(pem(intermediate))
        _private(folder / "signer.passphrase", passphrase.encode())
        _private(folder / "signer.p12", p12(signer_key, signer, [intermediate, root], passphrase))
        _private(folder / "root.key", _key_pem(root_key))
        _private(folder / "intermediate.key", _key_pem(intermediate_key))
    root = x509.load_pem_x509_certificate((folder / "root.pem").read_bytes())
    intermediate = x509.load_pem_x509_certificate((folder / "intermediate.pem").read_bytes())
    for issuer, file in ((root, "root"), (intermediate, "intermediate")):
        issuer_key = serialization.load_pem_private_key((folder / f"{file}.key").read_bytes(), None)
        (folder / f"{file}.crl").write_bytes(pem(crl(issuer, issuer_key)))
    return settings(folder)


def _key_pem(private_key):
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _private(path, data):
    path.write_bytes(data)
    path.chmod(0o600)


def settings(folder):
    """The environment of the local apps: sign with the test 団体 certificate, trust the
    test root, check revocation against the test CRLs."""
    folder = Path(folder).resolve()
    return {
        "HIROBA_SIGNER": "p12",
        "HIROBA_SIGNER_P12": str(folder / "signer.p12"),
        "HIROBA_SIGNER_PASSPHRASE_FILE": str(folder / "signer.passphrase"),
        "HIROBA_TRUST_ANCHORS": str(folder / "root.pem"),
        "HIROBA_TRUST_INTERMEDIATES": str(folder / "intermediate.pem"),
        "HIROBA_TRUST_CRLS": ",".join(str(folder / f) for f in ("root.crl", "intermediate.crl")),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=".hiroba/ca")
    for name_, value in ensure(parser.parse_args().folder).items():
        print(f"{name_}={value}")


if __name__ == "__main__":
    main()

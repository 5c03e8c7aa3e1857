"""The production signer: the 団体's private key lives in AWS KMS (an asymmetric
SIGN_VERIFY key, RSA or ECC NIST P-256/384/521) and never leaves it; the certificate the CA
issued for that key, and its chain, come from configuration.

pyHanko builds the CMS signed attributes and asks this external signer for the raw
signature over them; KmsSigner sends those attributes to KMS `Sign` with MessageType RAW
(KMS hashes them itself; RAW accepts up to 4096 bytes and signed attributes are a few
hundred). RAW rather than DIGEST is also what lets the tests use moto's KMS over HTTP: moto
ignores MessageType and always hashes the message, so a DIGEST request would be hashed twice
there (see docs/signatures.md).
"""

import boto3
from asn1crypto import algos, keys
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .signer import SignerUnavailable
from .trust import certificates

# (KMS key algorithm, digest) -> (KMS SigningAlgorithm, CMS signature mechanism)
_ALGORITHMS = {
    ("rsa", "sha256"): ("RSASSA_PKCS1_V1_5_SHA_256", "sha256_rsa"),
    ("rsa", "sha384"): ("RSASSA_PKCS1_V1_5_SHA_384", "sha384_rsa"),
    ("rsa", "sha512"): ("RSASSA_PKCS1_V1_5_SHA_512", "sha512_rsa"),
    ("ec", "sha256"): ("ECDSA_SHA_256", "sha256_ecdsa"),
    ("ec", "sha384"): ("ECDSA_SHA_384", "sha384_ecdsa"),
    ("ec", "sha512"): ("ECDSA_SHA_512", "sha512_ecdsa"),
}
MAX_RAW_MESSAGE = 4096  # KMS Sign, MessageType RAW


class KmsSigner(signers.Signer):
    """A pyHanko signer whose raw signatures come from KMS `Sign`."""

    def __init__(self, client, key_id, signing_cert, chain=(), digest="sha256"):
        algorithm = signing_cert.public_key.algorithm  # "rsa" or "ec"
        if (algorithm, digest) not in _ALGORITHMS:
            raise SignerUnavailable(f"KMS signing with {algorithm}/{digest} is not supported")
        self.kms_algorithm, mechanism = _ALGORITHMS[(algorithm, digest)]
        self.client, self.key_id, self.digest = client, key_id, digest
        super().__init__(
            signing_cert=signing_cert,
            cert_registry=SimpleCertificateStore.from_certs([signing_cert, *chain]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": mechanism}),
        )

    async def async_sign_raw(self, data, digest_algorithm, dry_run=False):
        if digest_algorithm != self.digest:
            raise SignerUnavailable(f"this KMS key signs with {self.digest} only")
        if dry_run:  # pyHanko sizes the signature field first: the largest value possible
            return bytes(self._max_signature_size())
        if len(data) > MAX_RAW_MESSAGE:
            raise SignerUnavailable("the signed attributes exceed what KMS signs as RAW")
        answer = self.client.sign(
            KeyId=self.key_id,
            Message=data,
            MessageType="RAW",
            SigningAlgorithm=self.kms_algorithm,
        )
        return answer["Signature"]

    def _max_signature_size(self):
        public = self.signing_cert.public_key
        if public.algorithm == "rsa":
            return public.bit_size // 8
        return 2 * (public.bit_size // 8 + 1) + 8  # a DER ECDSA-Sig-Value at its longest


def check_key(client, key_id, signing_cert):
    """SignerUnavailable unless the KMS key's public key is the certificate's."""
    public = client.get_public_key(KeyId=key_id)["PublicKey"]
    if keys.PublicKeyInfo.load(public).dump() != signing_cert.public_key.dump():
        raise SignerUnavailable("the KMS key does not match the signing certificate")


def from_settings(settings):
    if not settings.signer_kms_key_id or not settings.signer_certificate:
        raise SignerUnavailable("HIROBA_SIGNER_KMS_KEY_ID and HIROBA_SIGNER_CERTIFICATE")
    with open(settings.signer_certificate, "rb") as file:
        found = certificates(file.read())
    if not found:
        raise SignerUnavailable(f"no certificate in {settings.signer_certificate}")
    client = boto3.client(
        "kms", region_name=settings.region, endpoint_url=settings.kms_endpoint or None
    )
    # the file holds the signing certificate first, then its chain up to the root
    return KmsSigner(client, settings.signer_kms_key_id, found[0], found[1:])

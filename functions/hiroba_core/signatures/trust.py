"""The trust a verification starts from: the anchors (root certificates the platform
trusts, e.g. LGPKI's and JPKI's roots), intermediate certificates that a signature may omit,
and CRLs. Production names them in configuration; there is no built-in default, so an
unconfigured deployment trusts nothing (every signature is "untrusted").

    trust = Trust.from_pem(anchors=pem_bytes, crls=[crl_pem])
    trust = Trust.from_settings(settings)    # files named by HIROBA_TRUST_* settings
"""

import re
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext

_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.S)


def _blocks(data):
    """DER objects from PEM text (any number of blocks) or one DER object."""
    if not data:
        return []
    if asn1_pem.detect(data):
        return [asn1_pem.unarmor(m[0])[2] for m in _BLOCK.finditer(data)]
    return [data]


def certificates(data):
    return tuple(asn1_x509.Certificate.load(der) for der in _blocks(data))


def revocation_lists(data):
    return tuple(asn1_crl.CertificateList.load(der) for der in _blocks(data))


@dataclass(frozen=True)
class Trust:
    anchors: tuple = ()
    intermediates: tuple = ()
    crls: tuple = ()
    # fetch CRLs named in the certificates (CRL distribution points) when none is configured;
    # off by default: a verification then depends only on what the configuration holds
    fetch: bool = False

    @classmethod
    def from_pem(cls, anchors=b"", intermediates=b"", crls=(), fetch=False):
        return cls(
            certificates(anchors),
            certificates(intermediates),
            tuple(c for data in crls for c in revocation_lists(data)),
            fetch,
        )

    @classmethod
    def from_files(cls, anchors=(), intermediates=(), crls=(), fetch=False):
        def read(paths):
            return b"\n".join(Path(p).read_bytes() for p in paths)

        return cls(
            certificates(read(anchors)),
            certificates(read(intermediates)),
            tuple(c for p in crls for c in revocation_lists(Path(p).read_bytes())),
            fetch,
        )

    @classmethod
    def from_settings(cls, settings):
        return cls.from_files(
            settings.trust_anchors,
            settings.trust_intermediates,
            settings.trust_crls,
            settings.trust_fetch_crls,
        )

    def context(self, moment=None):
        """A pyHanko validation context: chains must end at an anchor, and every certificate
        below it must have revocation information ("require": a CRL must be at hand
        for each, whether or not the certificate names where to find one), as of `moment` (None: now)."""
        return ValidationContext(
            trust_roots=list(self.anchors),
            other_certs=list(self.intermediates),
            crls=list(self.crls),
            allow_fetching=self.fetch,
            revocation_mode="require",
            moment=moment,
        )

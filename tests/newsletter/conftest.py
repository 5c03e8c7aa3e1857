"""The newsletter's real stack: the local DynamoDB-protocol server, the publishing app over
HTTP, an aiosmtpd sink, and a loopback server for a test SNS signing certificate."""

import datetime as dt
import email
import email.policy
import functools
import http.server
import re
import subprocess
import sys
import threading
from urllib.parse import unquote

import pytest

from hiroba_core.settings import Settings
from hiroba_core.store.newsletter import NewsletterStore
from infra.local.stack import ROOT, LocalStack
from tests.functions.conftest import Api, write_consultations


@pytest.fixture(scope="session")
def signing(tmp_path_factory):
    """A self-signed RSA certificate served on loopback, as SNS serves its own."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test.local")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("sns")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    prefix = f"http://127.0.0.1:{server.server_address[1]}/"
    yield {"key": key, "prefix": prefix, "url": prefix + "cert.pem"}
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, signing):
    content = write_consultations(tmp_path_factory.mktemp("content"))
    local = LocalStack(
        tmp_path_factory.mktemp("stack"),
        env={"HIROBA_SNS_LOCAL_CERT_PREFIX": signing["prefix"], "HIROBA_NEWSLETTER_RATE": "0"},
        content=content,
    )
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="session")
def api(stack):
    return Api(stack.apps["publishing"].url)


@pytest.fixture(scope="session")
def settings(stack):
    return Settings.from_env(stack.env())


@pytest.fixture(scope="session")
def store(settings):
    return NewsletterStore(settings)


class Inbox:
    """The sink's messages, parsed, for one address."""

    def __init__(self, sink):
        self.sink = sink

    def all(self):
        found = []
        for path in self.sink.messages():
            found.append(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
        return found

    def to(self, address):
        return [m for m in self.all() if m["To"] == address]


@pytest.fixture(scope="session")
def inbox(stack):
    return Inbox(stack.mail)


def token_of(message, kind):
    body = message.get_body(("plain",)).get_content()
    match = re.search(rf"/newsletter/{kind}\?token=(\S+)", body)
    assert match, body
    return unquote(match.group(1))


def run_cli(stack, *args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "infra.tools", *args],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result

"""The real stack for function tests: a DynamoDB-protocol server (moto, serialised) on
loopback, both Chalice apps over HTTP in their own processes, an aiosmtpd sink, and the
site's reverse proxy. Consultations are written with windows relative to the real clock,
because the apps decide "open" with the clock, as in production."""

import functools
import http.client
import itertools
import json
import shutil
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from hiroba_core import tokens
from hiroba_core.dates import JST
from hiroba_core.settings import Settings
from hiroba_core.store import dynamo
from infra.local.stack import ROOT, LocalStack, SiteServer, site_handler

FIELDS = "name=optional, email=optional, address=optional, age_group=optional"


def consultation_md(slug, opens, closes, fields=FIELDS, kind=None, department="johoseisaku"):
    lines = [
        f"Title: テスト意見募集 {slug}",
        f"Slug: {slug}",
        "Template: consultation",
        f"Summary: {slug} のテスト用の意見募集です。",
        f"Department: {department}",
        "Date: 2026-01-01",
        "Questions: q1=案全体についてのご意見 | q2=その他のご意見",
        f"Personal_fields: {fields}",
    ]
    if kind:
        lines.append(f"Kind: {kind}")
    if opens:
        lines.append(f"Opens_at: {opens:%Y-%m-%d %H:%M}")
    if closes:
        lines.append(f"Closes_at: {closes:%Y-%m-%d %H:%M}")
    return "\n".join(lines) + "\n\n本文です。\n"


def write_consultations(content):
    now = datetime.now(JST)
    day = timedelta(days=1)
    files = {
        "open-one": consultation_md("open-one", now - day, now + 7 * day),
        "open-strict": consultation_md(
            "open-strict",
            now - day,
            now + 7 * day,
            "name=required, email=required, address=optional, age_group=required",
        ),
        "upcoming-one": consultation_md("upcoming-one", now + 2 * day, now + 9 * day),
        "closed-one": consultation_md("closed-one", now - 9 * day, now - 2 * day),
        "chiji-eno-teian": consultation_md(
            "chiji-eno-teian", None, None, kind="proposal", department="koho"
        ),
    }
    folder = content / "consultations"
    folder.mkdir(parents=True, exist_ok=True)
    for slug, text in files.items():
        (folder / f"{slug}.md").write_text(text, "utf-8")
    return content


@pytest.fixture(scope="session")
def content(tmp_path_factory):
    base = tmp_path_factory.mktemp("content")
    shutil.copytree(ROOT / "content" / "registry", base / "registry")
    # the status inquiry, tax payment and 署名検証 pages (their forms post to the procedures API)
    (base / "pages" / "procedures").mkdir(parents=True)
    for name in ("status.md", "pay-tax.md", "verify.md"):
        shutil.copy(ROOT / "content" / "pages" / "procedures" / name, base / "pages" / "procedures")
    return write_consultations(base)


@functools.lru_cache(maxsize=1)
def shared_pki():
    """The tests' own PKI (tests/signing_pki.py), one per process: the stack trusts it."""
    from tests.signing_pki import Pki

    return Pki()


@pytest.fixture(scope="session")
def pki():
    """Good, revoked, expired and untrusted signers (tests/signing_pki.py)."""
    return shared_pki()


def trust_env(state, pki):
    """The apps trust the local test CA (the 団体's documents) and the tests' PKI."""
    from infra.local import test_ca

    folder = state / "pki"
    folder.mkdir()
    files = {
        "root.pem": pki.root,
        "intermediate.pem": pki.intermediate,
        "root.crl": pki.root_crl,
        "intermediate.crl": pki.intermediate_crl,
    }
    for name, item in files.items():
        (folder / name).write_bytes(test_ca.pem(item))
    local = test_ca.settings(state / "ca")
    return {
        "HIROBA_TRUST_ANCHORS": f"{local['HIROBA_TRUST_ANCHORS']},{folder / 'root.pem'}",
        "HIROBA_TRUST_INTERMEDIATES": (
            f"{local['HIROBA_TRUST_INTERMEDIATES']},{folder / 'intermediate.pem'}"
        ),
        "HIROBA_TRUST_CRLS": ",".join(
            [local["HIROBA_TRUST_CRLS"], str(folder / "root.crl"), str(folder / "intermediate.crl")]
        ),
    }


@pytest.fixture(scope="session")
def stack(tmp_path_factory, content):
    state = tmp_path_factory.mktemp("stack")
    local = LocalStack(
        state,
        env={
            "HIROBA_RATE_LIMIT": "5",
            "HIROBA_PERSONAL_DATA_DAYS": "30",
            # built newsletter issues the console sends (tests write issue.json there)
            "HIROBA_NEWSLETTER_ISSUES": str(state / "newsletter"),
            **trust_env(state, shared_pki()),
        },
        content=content,
    ).start()
    yield local
    local.stop()


class Api:
    """A tiny HTTP client for one app: JSON in, (status, headers, body) out."""

    _clients = itertools.count(1)

    def __init__(self, base):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port

    def request(self, method, path, body=None, headers=None, raw=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        connection.request(method, path, data, headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return Reply(response.status, dict(response.getheaders()), payload)

    @classmethod
    def client_ip(cls):
        """A fresh client address per call (the apps trust one proxy hop)."""
        n = next(cls._clients)
        return f"10.{uuid.uuid4().int % 250}.{n // 250 % 250}.{n % 250 + 1}"

    def comment(self, consultation, body, headers=None, client=None):
        headers = {"X-Forwarded-For": client or self.client_ip(), **(headers or {})}
        return self.request("POST", f"/consultations/{consultation}/comments", body, headers)


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.body = status, body
        self.headers = {k.lower(): v for k, v in headers.items()}

    def json(self):
        return json.loads(self.body)

    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:300]!r}>"


@pytest.fixture(scope="session")
def api(stack):
    return Api(stack.apps["publishing"].url)


@pytest.fixture(scope="session")
def staff_token(stack):
    def mint(
        role="staff", department="johoseisaku", ttl=600, now=None, dantai=None, subject="tester"
    ):
        return tokens.mint(stack.jwt_secret, subject, role, department, ttl, now, dantai)

    return mint


@pytest.fixture(scope="session")
def db(stack):
    """A boto3 client on the test DynamoDB server, for checking what was written."""
    settings = stack.settings()
    return dynamo.client(settings), settings.publishing_table


@pytest.fixture(scope="session")
def site(tmp_path_factory, stack, content):
    """The site built from the test content, served with /api/* proxied (one origin)."""
    yield from serve_site(tmp_path_factory, stack, content)


def serve_site(tmp_path_factory, stack, content, port=0):
    """Build the site from `content` and serve it on `port` (0: any) with the stack's apps
    behind /api/; yields an Api on its origin."""
    output = tmp_path_factory.mktemp("site") / "output"
    env = {
        **stack.env(),
        "HIROBA_CONTENT": str(content),
        "HIROBA_OUTPUT": str(output),
        "HIROBA_NOW": datetime.now(JST).strftime("%Y-%m-%d %H:%M"),
        "HIROBA_SEARCH_INDEX": "0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(ROOT / "pelicanconf.py"), "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    server = SiteServer(("127.0.0.1", port), site_handler(output, stack.apps))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Api(f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


def valid(**extra):
    return {"answers": {"q1": "賛成です。"}, **extra}


def settings_for(stack):
    return Settings.from_env(stack.env())


@pytest.fixture(scope="session")
def procedures(stack):
    """The procedures app over HTTP."""
    return Api(stack.apps["procedures"].url)


@pytest.fixture(scope="session")
def procedures_db(stack):
    """A boto3 client on the test DynamoDB server and the procedures table's name."""
    settings = stack.settings()
    return dynamo.client(settings), settings.procedures_table


# ---------------------------------------------------------------- the staff console


@pytest.fixture(scope="session")
def console_url(stack):
    return stack.apps["console"].url


@pytest.fixture
def browser(console_url):
    from .console_client import Console

    return Console(console_url)


@pytest.fixture(scope="session")
def signed_in(stack, console_url):
    """A signed-in Console per user name (one sign-in per test session)."""
    found = {}

    def get(username):
        if username not in found:
            from .console_client import Console

            client = Console(console_url)
            client.sign_in(username, stack.staff_pool.password)
            found[username] = client
        return found[username]

    return get

"""The local API stack behind `make run` (and the tests): DynamoDB server, tables, both
Chalice apps over HTTP, an SMTP sink, the sandbox card acquirer and Pay-easy bank
(sandbox_payments.py), and a reverse proxy for /api/<app>/ on the site's origin.

    stack = LocalStack(ROOT / ".hiroba").start()     # everything on 127.0.0.1, free ports
    handler = site_handler(output_dir, stack.apps)   # static files + /api/* proxied
    ...
    stack.stop()
"""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from hiroba_core import emergency_region as banner
from hiroba_core import security_headers

from ..edge import headers as edge_headers
from . import sandbox_payments, test_ca
from .cognito import StaffPool
from .dynamodb import LocalDynamoDB

ROOT = Path(__file__).resolve().parents[2]

APPS = ("publishing", "procedures", "console")
CONSOLE_PREFIX = "/staff"  # the console's pages, on the site's origin (CloudFront: /staff/*)
# what CloudFront adds to every request for the APIs (infra/aws/site.py)
ORIGIN_VERIFY = "X-Hiroba-Origin-Verify"
VIEWER_ADDRESS = "CloudFront-Viewer-Address"
MAX_PROXY_BODY = 1024 * 1024  # the apps refuse more than 64 KB themselves
# not copied from the app's answer (the proxy sets its own)
_HOP_HEADERS = (
    "connection",
    "transfer-encoding",
    "content-length",
    "date",
    "server",
    "cache-control",
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSink:
    """An SMTP server (aiosmtpd) that saves every message as .eml under `folder`."""

    def __init__(self, folder, port=None):
        self.folder, self.port = Path(folder), port or free_port()
        self._controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)

        class Save:
            async def handle_DATA(self, server, session, envelope):
                name = f"{time.time_ns()}.eml"
                (folder / name).write_bytes(envelope.original_content or envelope.content)
                return "250 Message accepted"

        self._controller = Controller(Save(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def messages(self):
        return sorted(self.folder.glob("*.eml"))

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None


class AppProcess:
    """One Chalice app in its own process (infra/local/chalice_app.py) on a free port."""

    def __init__(self, name, env):
        self.name, self.env, self.port, self.process = name, env, None, None

    def start(self, timeout=30):
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "infra.local.chalice_app", self.name],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.name} app exited with {self.process.wait()}")
            if line.startswith("listening on "):
                self.port = int(line.rsplit(":", 1)[1])
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        raise RuntimeError(f"{self.name} app did not start within {timeout} s")

    def _drain(self):
        for _ in self.process.stdout:
            pass

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


class LocalStack:
    """`origin_verify=True` makes the apps require the X-Hiroba-Origin-Verify header, as in
    production, with a key of this checkout: `make run` does, and its proxy sends the
    header; tests that call the apps directly leave it off."""

    def __init__(
        self,
        state_dir,
        dynamodb_endpoint=None,
        env=None,
        secret=None,
        content=None,
        origin_verify=False,
        site_url=None,
    ):
        self.state_dir = Path(state_dir)
        self.content = content  # None: content/ of the repository
        self.dynamodb_endpoint = dynamodb_endpoint or os.environ.get("DYNAMODB_ENDPOINT")
        self.extra_env = env or {}
        self.jwt_secret = secret or self._local_secret("jwt-secret")
        # links, tickets and keyed hashes: random per checkout, never a value in the repository
        self.secret = self._local_secret("secret")
        self.origin_verify = self._local_secret("origin-verify") if origin_verify else ""
        # the sandboxes sign their notifications and check our requests with this key
        self.payments_key = self._local_secret("payments-key")
        # where residents' browsers reach the site (and the apps behind /api/); None: the
        # apps' default. Notifications go through it when given, as in production.
        self.site_url = site_url
        self.dynamodb = self.mail = self.sandbox = self.staff_pool = None
        self.apps = {}

    def _local_secret(self, name, prefix=""):
        path = self.state_dir / name
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # prefix: what a password policy wants beyond random letters (a digit, a symbol)
            path.write_text(prefix + secrets.token_urlsafe(32), "utf-8")
            path.chmod(0o600)
        return path.read_text("utf-8").strip()

    def env(self):
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "functions")]),
            "DYNAMODB_ENDPOINT": self.dynamodb_endpoint,
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "ap-northeast-1"),
            "HIROBA_JWT_SECRET": self.jwt_secret,
            "HIROBA_SECRET": self.secret,
            "HIROBA_ORIGIN_VERIFY": self.origin_verify,
            "HIROBA_MAIL": self.mail.url if self.mail else "",
            "HIROBA_CARD_ACQUIRER_URL": self.sandbox.url if self.sandbox else "",
            "HIROBA_CARD_ACQUIRER_KEY": self.payments_key,
            "HIROBA_PAYEASY_URL": self.sandbox.url if self.sandbox else "",
            "HIROBA_PAYEASY_KEY": self.payments_key,
            **({"HIROBA_SITEURL": self.site_url} if self.site_url else {}),
            # issued documents in the S3 of the same moto server, signed by the test CA's
            # 団体 certificate; signatures checked against the test root (infra/local/test_ca.py)
            "HIROBA_S3_ENDPOINT": self.dynamodb_endpoint or "",
            # the online form's clock: real unless a test moves it (set_clock)
            "HIROBA_CLOCK_FILE": str(self.clock_file),
            **test_ca.settings(self.state_dir / "ca"),
            **(self.staff_pool.env() if self.staff_pool else {}),
            **self.extra_env,
        }

    def start(self):
        if not self.dynamodb_endpoint:
            # moto checks TOTP codes only when told to (the server runs in this process)
            os.environ["MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"] = "true"
            self.dynamodb = LocalDynamoDB().start()
            self.dynamodb_endpoint = self.dynamodb.url
        self.mail = MailSink(self.state_dir / "mail").start()
        self.staff_pool = StaffPool(
            self.dynamodb_endpoint,
            os.environ.get("AWS_DEFAULT_REGION", "ap-northeast-1"),
            password=self._local_secret("staff-password", prefix="Hb1!"),
        ).create()
        self.sandbox = sandbox_payments.start(self.payments_key, self.state_dir / "sandbox")
        test_ca.ensure(self.state_dir / "ca")
        self.prepare_tables()
        self.sync()
        for name in APPS:
            self.apps[name] = AppProcess(name, self.env()).start()
        procedures = (
            f"{self.site_url}/api/procedures" if self.site_url else self.apps["procedures"].url
        )
        self.sandbox.card_notify_url = f"{procedures}/payments/notifications/sandbox-card"
        self.sandbox.bank_notify_url = f"{procedures}/payments/notifications/payeasy"
        return self

    @property
    def clock_file(self):
        return self.state_dir / "clock"

    def set_clock(self, seconds):
        """Move the apps' form clock `seconds` ahead of the real one (0: back to real)."""
        self.clock_file.write_text(str(seconds), "utf-8")

    def settings(self):
        from hiroba_core.settings import Settings

        return Settings.from_env(self.env())

    def prepare_tables(self):
        from hiroba_core.store import documents, dynamo, tables

        settings = self.settings()
        tables.ensure_tables(dynamo.client(settings), settings)
        documents.ensure_bucket(documents.client(settings), settings.documents_bucket)
        documents.ensure_bucket(documents.client(settings), settings.attachments_bucket)

    def sync(self, content=None):
        """Load content/consultations/ into the table (again after a content change)."""
        args = [sys.executable, "-m", "infra.tools"]
        content = content or self.content
        if content:
            args += ["--content", str(content)]
        subprocess.run([*args, "sync"], cwd=ROOT, env=self.env(), check=True)
        # the sample tax notices (infra/tools/samples/tax-notices.csv), payable locally
        subprocess.run(
            [sys.executable, "-m", "infra.tools", "payments", "load-notices"],
            cwd=ROOT,
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self):
        for app in self.apps.values():
            app.stop()
        if self.mail:
            self.mail.stop()
        if self.sandbox:
            self.sandbox.shutdown()
            self.sandbox.server_close()
        if self.dynamodb:
            self.dynamodb.stop()


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files from the build, and /api/<app>/… forwarded to that app (same origin)."""

    apps = {}  # app name -> port
    origin_verify = ""  # the value the apps expect in X-Hiroba-Origin-Verify, if any
    overlay = None  # a folder of pages newer than the build (make run's edited pages), or None

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".vtt": "text/vtt"}

    def guess_type(self, path):
        if path.endswith(".html") or path.endswith("/"):
            # `path` is the file on disk (send_head passes the translated path)
            relative = os.path.relpath(path, self.directory) if self.directory else path
            return edge_headers.content_type(relative.replace(os.sep, "/"))
        return super().guess_type(path)

    def _page(self):
        """A page with the current emergency banner spliced in, as the edge serves it."""
        path = banner.page_path(self.path.split("#", 1)[0])
        if path is None:
            return None
        output = Path(self.directory)
        target, status = output / path, 200
        if self.overlay and (Path(self.overlay) / path).is_file():
            target = Path(self.overlay) / path
        elif not target.is_file():
            # as CloudFront does (infra/aws/site.py): the site's own not-found page
            if not (output / "404.html").is_file() or (output / path).parent.is_file():
                return None
            path, target, status = "404.html", output / "404.html", 404

        def read(name):
            file = output / name
            return file.read_bytes() if file.is_file() else None

        data = banner.Regions(read).apply(path, target.read_bytes())
        self.send_response(status)
        self.send_header("Content-Type", edge_headers.content_type(path))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return data

    def send_header(self, keyword, value):
        self.__dict__.setdefault("_sent", set()).add(keyword.lower())
        super().send_header(keyword, value)

    def end_headers(self):
        # A preview must show the newest build, never a cached page.
        self.send_header("Cache-Control", "no-store")
        # What CloudFront's response headers policy adds (infra/aws/site.py), so the browser
        # tests and a preview run under the production policy. An app's answer keeps the
        # headers it chose, as the /api/* behaviours do (Override: false).
        sent = self.__dict__.pop("_sent", set())
        for name, value in security_headers.for_path(self.path).items():
            if name.lower() not in sent:
                super().send_header(name, value)
        super().end_headers()

    def log_message(self, format, *args):
        pass  # paths may carry receipt numbers; the apps log what they need

    def _console(self):
        path = self.path.split("?", 1)[0]
        return path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")

    def _proxy(self):
        console = self._console()
        parts = self.path.split("/", 3)  # "", "api", app, rest
        if console:
            port = self.apps.get("console")
        else:
            port = self.apps.get(parts[2]) if len(parts) > 2 else None
        if port is None:
            return self._problem(404, "not-found", "見つかりません。", "No such API.")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PROXY_BODY:
            return self._problem(413, "too-large", "送信内容が大きすぎます。", "Body too large.")
        body = self.rfile.read(length) if length else None
        # as CloudFront does: the viewer cannot choose its own address or the origin secret
        skip = ("host", "connection", "accept", ORIGIN_VERIFY.lower(), VIEWER_ADDRESS.lower())
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        forwarded = headers.pop("X-Forwarded-For", None)
        client = self.client_address[0]
        headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
        viewer_host, viewer_port = self.client_address[:2]
        headers[VIEWER_ADDRESS] = f"{viewer_host}:{viewer_port}"  # CloudFront's format
        if self.origin_verify:
            headers[ORIGIN_VERIFY] = self.origin_verify
        # as CloudFront does in production (infra/edge/headers.py)
        if console:  # the console's paths are its own (/staff/…), as CloudFront forwards them
            path, accept = self.path, self.headers.get("Accept")
        else:
            path, accept = edge_headers.api_request(self.path, self.headers.get("Accept"))
        if accept:
            headers["Accept"] = accept
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request(self.command, path, body, headers)
            response = connection.getresponse()
            data = response.read()
        except OSError:
            return self._problem(502, "unavailable", "APIに接続できません。", "API unreachable.")
        finally:
            connection.close()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in (
                "connection",
                "transfer-encoding",
                "content-length",
                "date",
                "server",
            ):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _problem(self, status, slug, detail, detail_en):
        data = json.dumps(
            {
                "type": f"https://hiroba.pref.miyagi.jp/problems/{slug}",
                "title": detail,
                "title_en": detail_en,
                "status": status,
                "detail": detail,
                "detail_en": detail_en,
            },
            ensure_ascii=False,
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self, static):
        if self.path.startswith("/api/") or self._console():
            return self._proxy()
        if static is None:
            return self._problem(
                405, "method-not-allowed", "使えない方法です。", "Method not allowed."
            )
        return static()

    def do_GET(self):
        self._route(lambda: self._static(write=True))

    def do_HEAD(self):
        self._route(lambda: self._static(write=False))

    def _static(self, write):
        data = self._page()
        if data is None:
            return super().do_GET() if write else super().do_HEAD()
        if write:
            self.wfile.write(data)

    def do_POST(self):
        self._route(None)

    def do_PUT(self):
        self._route(None)

    def do_DELETE(self):
        self._route(None)


def site_handler(output, apps, overlay=None):
    """A handler class serving `output` with the apps (name -> AppProcess) behind /api/;
    a page in `overlay` is served instead of the one in `output`."""
    verify = next((a.env.get("HIROBA_ORIGIN_VERIFY") or "" for a in apps.values()), "")
    attributes = {"apps": {n: a.port for n, a in apps.items()}, "origin_verify": verify}
    attributes["overlay"] = str(overlay) if overlay else None
    handler = type("Handler", (SiteHandler,), attributes)
    return partial(handler, directory=str(output))

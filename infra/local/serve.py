"""`make run`: build the site, serve it on http://127.0.0.1:8000 and rebuild on change.

Each build runs in a fresh process into a staging folder and replaces output/ only when
it succeeds, so a content error is printed and the last good site keeps being served.

The same origin also serves the APIs (infra/local/stack.py): /api/publishing/* and
/api/procedures/* are proxied to the two Chalice apps, which use a local DynamoDB server
(moto, unless DYNAMODB_ENDPOINT is set) and send mail to an SMTP sink that saves every
message under .hiroba/mail/. Consultations are loaded into the table at start and after
every successful build. `--no-api` serves the static site alone.
"""

import argparse
import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .stack import LocalStack, SiteServer, site_handler
from .web_editor import with_web_editor

ROOT = Path(__file__).resolve().parents[2]
WATCHED = ("content", "theme", "plugins", "pelicanconf.py")


def snapshot():
    """(path, mtime) of every watched file: cheap enough to poll once a second."""
    state = {}
    for name in WATCHED:
        target = ROOT / name
        paths = target.rglob("*") if target.is_dir() else [target]
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                state[str(path)] = path.stat().st_mtime_ns
    return state


def build(output):
    staging = ROOT / ".hiroba" / "output-next"
    env = {**os.environ, "HIROBA_OUTPUT": str(staging)}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(ROOT / "pelicanconf.py"), "-q"],
        cwd=ROOT,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        print("build failed; still serving the last good build", file=sys.stderr, flush=True)
        return False
    previous = ROOT / ".hiroba" / "output-previous"
    shutil.rmtree(previous, ignore_errors=True)
    if output.exists():
        output.rename(previous)
    staging.rename(output)
    shutil.rmtree(previous, ignore_errors=True)
    print(f"built in {time.monotonic() - started:.1f} s", flush=True)
    return True


def listen(host, port, output):
    """The site's server, bound before anything is built or started: a port another
    program holds is one line and exit status 2, not a traceback in a thread and a hang."""
    try:
        return SiteServer((host, port), with_web_editor(site_handler(output, {}), ROOT))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(
                f"{host}:{port} は使用中です。別のポートで起動してください（make run PORT=8001）。"
                f" / {host}:{port} is already in use; choose another port: make run PORT=8001",
                file=sys.stderr,
                flush=True,
            )
        else:
            print(
                f"{host}:{port} で待ち受けできません（{error.strerror}）。"
                f" / cannot listen on {host}:{port}: {error.strerror}",
                file=sys.stderr,
                flush=True,
            )
        return None


def serve(server, output, apps):
    # the web editor (/admin/) reads and writes content/ of this working tree
    server.RequestHandlerClass = with_web_editor(site_handler(output, apps), ROOT)
    host, port = server.server_address[:2]
    print(f"serving http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    print(f"web editor: http://{host}:{port}/admin/ (saves to content/)", flush=True)
    server.serve_forever()


def start_stack(site_url=None):
    stack = LocalStack(ROOT / ".hiroba", origin_verify=True, site_url=site_url).start()
    print(
        f"APIs: /api/publishing/ and /api/procedures/ (DynamoDB {stack.dynamodb_endpoint}, "
        f"mail saved to .hiroba/mail/)\n"
        f"staff token: PYTHONPATH=.:functions HIROBA_JWT_SECRET=$(cat .hiroba/jwt-secret) "
        f"{sys.executable} -m infra.tools token --department koho\n"
        f"send a newsletter issue: PYTHONPATH=.:functions DYNAMODB_ENDPOINT={stack.dynamodb_endpoint} "
        "HIROBA_SECRET=$(cat .hiroba/secret) "
        f"HIROBA_MAIL={stack.mail.url} {sys.executable} -m infra.tools newsletter send 2026-11-27-weekly\n"
        f"payments: test cards and the ATM at {stack.sandbox.url}/bank/ (docs/payments.md)",
        flush=True,
    )
    return stack


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--once", action="store_true", help="build once and exit")
    parser.add_argument("--no-api", action="store_true", help="serve the static site alone")
    args = parser.parse_args()
    output = Path(os.environ.get("HIROBA_OUTPUT", ROOT / "output"))
    (ROOT / ".hiroba").mkdir(exist_ok=True)
    server = None
    if not args.once:
        server = listen(args.host, args.port, output)
        if server is None:
            return 2
    ok = build(output)
    if args.once:
        return 0 if ok else 1
    # a terminated run (not only Ctrl-C) stops the apps and servers it started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    stack = None if args.no_api else start_stack(f"http://{args.host}:{args.port}")
    apps = stack.apps if stack else {}
    threading.Thread(target=serve, args=(server, output, apps), daemon=True).start()
    seen = snapshot()
    try:
        while True:
            time.sleep(1)
            current = snapshot()
            if current != seen:
                seen = current
                if build(output) and stack:
                    stack.sync()
    except KeyboardInterrupt:
        return 0
    finally:
        server.server_close()
        if stack:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())

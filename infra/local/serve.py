"""`make run`: build the site, serve it on http://127.0.0.1:8000 and rebuild on change.

Each build runs in a fresh process into a staging folder and replaces output/ only when
it succeeds, so a content error is printed and the last good site keeps being served.

Saving Markdown under content/ first builds that file alone (with its translations, against
the registries) into .hiroba/pages/, which is served before output/: the edited page, in
every language and on /m/, is live in about a second (a warm worker forks a child per save:
quick_build.py). The full rebuild runs in the background and
catches up the lists, feeds and search; once it is in place the older edited pages go.

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

from .cognito import MOTO_TOTP_SECRET, STAFF
from .quick_build import QuickBuilder
from .stack import LocalStack, SiteServer, site_handler
from .web_editor import with_web_editor

ROOT = Path(__file__).resolve().parents[2]
# the content folder: HIROBA_CONTENT, as in pelicanconf.py (the edit benchmark sets it)
CONTENT = Path(os.environ.get("HIROBA_CONTENT", ROOT / "content"))
WATCHED = (CONTENT, ROOT / "theme", ROOT / "plugins", ROOT / "pelicanconf.py")
# the quick build's worker imports the plugins and the settings' modules once: a change to
# them starts a new one
WORKER_CODE = (ROOT / "plugins", ROOT / "pelicanconf.py")
# the poll of the watched files: every POLL_SECONDS, or less often on a site so large that
# a poll would take more than a fifth of a core (its CPU time)
POLL_SECONDS = 0.25


def snapshot():
    """(path, mtime) of every watched file. os.scandir, not Path.rglob: at 5,000 source
    pages a poll takes about 25 ms instead of 300-600 ms (docs/benchmarks.md)."""
    state = {}
    folders = []
    for target in WATCHED:
        if target.is_dir():
            folders.append(str(target))
        elif target.is_file():
            state[str(target)] = target.stat().st_mtime_ns
    while folders:
        try:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    if entry.is_dir():
                        if entry.name != "__pycache__":
                            folders.append(entry.path)
                    elif entry.is_file():
                        state[entry.path] = entry.stat().st_mtime_ns
        except FileNotFoundError:
            continue  # deleted while it was read: the next poll sees the change
    return state


def page_sources(changed):
    """The Markdown files to build alone for `changed` paths (each with its translations,
    name.LANG.md), or None when a change needs the full build only (theme, plugins,
    settings, a registry, a deleted file)."""
    content = CONTENT
    sources = set()
    for name in changed:
        path = Path(name)
        if path.suffix != ".md" or not path.is_file() or content not in path.parents:
            return None
        if path.relative_to(content).parts[0] == "registry":
            return None
        stem = path.name.split(".", 1)[0]
        sources |= {p for p in path.parent.glob(f"{stem}.*") if p.suffix == ".md"}
    return sorted(sources) or None


def build_pages(quick, sources):
    """Build `sources` alone in the warm worker (infra/local/quick_build.py), which puts their
    pages (every language, /m/) in the overlay; a failed build serves nothing new and the
    full build that follows prints its errors."""
    answer = quick.build(sources)
    if answer and answer["ok"]:
        print(
            f"page live in {answer['seconds']:.1f} s, {answer['cpu']:.1f} s CPU (worker"
            f" {answer['worker']}, build {answer['build']}): {', '.join(answer['folders'])}",
            flush=True,
        )


def prune(overlay, before):
    """Drop the edited pages older than `before` (a full build that started later has them)."""
    for page in overlay.glob("**/index.html") if overlay.is_dir() else []:
        if page.stat().st_mtime < before:
            page.unlink()


def build(output):
    # beside the output (a rename does not cross file systems: HIROBA_OUTPUT may be a tmpfs)
    work = ROOT / ".hiroba" if output == ROOT / "output" else output.parent
    staging = work / f"{output.name}-next"
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
    previous = work / f"{output.name}-previous"
    shutil.rmtree(previous, ignore_errors=True)
    if output.exists():
        output.rename(previous)
    staging.rename(output)
    shutil.rmtree(previous, ignore_errors=True)
    print(f"built in {time.monotonic() - started:.1f} s", flush=True)
    return True


class Rebuilder(threading.Thread):
    """Runs the full build in the background, once more if files changed meanwhile."""

    def __init__(self, output, overlay, stack):
        super().__init__(daemon=True)
        self.output, self.overlay, self.stack = output, overlay, stack
        self.wanted = threading.Event()

    def run(self):
        while True:
            self.wanted.wait()
            self.wanted.clear()
            started = time.time()
            if build(self.output):
                # a failed build keeps the edited pages: output/ is still older than them
                prune(self.overlay, started)
                if self.stack:
                    self.stack.sync()


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


def serve(server, output, apps, overlay=None):
    # the web editor (/admin/) reads and writes content/ of this working tree
    server.RequestHandlerClass = with_web_editor(site_handler(output, apps, overlay), ROOT)
    host, port = server.server_address[:2]
    print(f"serving http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    print(f"web editor: http://{host}:{port}/admin/ (saves to content/)", flush=True)
    server.serve_forever()


def start_stack(site_url="http://127.0.0.1:8000", output=None):
    # the console sends the issues this build made (and lists them from the folder)
    env = {"HIROBA_NEWSLETTER_ISSUES": str(output / "newsletter")} if output else {}
    stack = LocalStack(ROOT / ".hiroba", origin_verify=True, site_url=site_url, env=env).start()
    print(
        f"APIs: /api/publishing/ and /api/procedures/ (DynamoDB {stack.dynamodb_endpoint}, "
        f"mail saved to .hiroba/mail/)\n"
        f"staff console: {site_url}/staff/ — users {', '.join(u for u, *_ in STAFF)}"
        f" (docs/staff.md: 団体, role, department), password in .hiroba/staff-password,"
        f" code from an authenticator with the secret {MOTO_TOTP_SECRET.upper()}"
        f" or `{sys.executable} -m infra.local.cognito code`\n"
        f"staff token: HIROBA_JWT_SECRET=$(cat .hiroba/jwt-secret) "
        f"{sys.executable} -m infra.tools token --department koho\n"
        f"send a newsletter issue: DYNAMODB_ENDPOINT={stack.dynamodb_endpoint} "
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
        # warms up (imports, templates) while the first full build runs
        quick = QuickBuilder(CONTENT.absolute(), ROOT / ".hiroba" / "pages").start()
    seen = snapshot()  # before the build: a file saved during it is built after it
    ok = build(output)
    if args.once:
        return 0 if ok else 1
    # a terminated run (not only Ctrl-C) stops the apps and servers it started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    stack = None if args.no_api else start_stack(f"http://{args.host}:{args.port}", output)
    apps = stack.apps if stack else {}
    overlay = ROOT / ".hiroba" / "pages"
    shutil.rmtree(overlay, ignore_errors=True)
    threading.Thread(target=serve, args=(server, output, apps, overlay), daemon=True).start()
    rebuilder = Rebuilder(output, overlay, stack)
    rebuilder.start()
    try:
        while True:
            polled = time.thread_time()
            current = snapshot()
            # the poll's CPU time, not its wall time: on a loaded machine the wall time
            # grows with the other processes, and a longer wait would delay the next save
            cost = time.thread_time() - polled
            if current != seen:
                changed = {p for p in current.keys() | seen.keys() if current.get(p) != seen.get(p)}
                seen = current
                if any(Path(p) == c or c in Path(p).parents for p in changed for c in WORKER_CODE):
                    quick.restart()
                sources = page_sources(changed)
                if sources:
                    build_pages(quick, sources)
                rebuilder.wanted.set()
            time.sleep(max(POLL_SECONDS, 5 * cost))
    except KeyboardInterrupt:
        return 0
    finally:
        quick.stop()
        server.server_close()
        if stack:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())

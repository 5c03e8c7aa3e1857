"""A Git host on loopback with the shape of GitHub's REST API, as far as the production
poller uses it: the archive of a branch, and reading and writing one file (one commit)."""

import base64
import hashlib
import io
import json
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


class GitHost:
    def __init__(self, folder, repository="miyagi/hiroba", branch="main", token="t0ken"):
        self.folder, self.repository, self.branch, self.token = (
            Path(folder),
            repository,
            branch,
            token,
        )
        self.commits = []  # (path, message, committer name, text)
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body=b"", kind="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def route(self):
                if self.headers.get("Authorization") != f"Bearer {host.token}":
                    self.answer(401, b'{"message": "Bad credentials"}')
                    return None
                prefix = f"/repos/{host.repository}/"
                path = urlsplit(self.path).path
                if not path.startswith(prefix):
                    self.answer(404, b'{"message": "Not Found"}')
                    return None
                return path[len(prefix) :]

            def do_GET(self):
                route = self.route()
                if route is None:
                    return
                if route == f"tarball/{host.branch}":
                    self.answer(200, host.tarball(), "application/x-gzip")
                elif route.startswith("contents/"):
                    file = host.folder / route.removeprefix("contents/")
                    if file.is_file():
                        self.answer(200, json.dumps({"sha": host.sha(file)}).encode())
                    else:
                        self.answer(404, b'{"message": "Not Found"}')
                else:
                    self.answer(404, b'{"message": "Not Found"}')

            def do_PUT(self):
                route = self.route()
                if route is None:
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                file = host.folder / route.removeprefix("contents/")
                if file.is_file() and body.get("sha") != host.sha(file):
                    self.answer(409, b'{"message": "sha does not match"}')
                    return
                text = base64.b64decode(body["content"]).decode("utf-8")
                existed = file.is_file()
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_text(text, "utf-8")
                host.commits.append(
                    (
                        route.removeprefix("contents/"),
                        body["message"],
                        body["committer"]["name"],
                        text,
                    )
                )
                self.answer(200 if existed else 201, b"{}")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.api = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @staticmethod
    def sha(file):
        data = file.read_bytes()
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

    def tarball(self):
        buffer = io.BytesIO()
        top = self.repository.replace("/", "-") + "-0123abc"
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for file in sorted(self.folder.rglob("*")):
                if file.is_file():
                    archive.add(file, f"{top}/{file.relative_to(self.folder).as_posix()}")
        return buffer.getvalue()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

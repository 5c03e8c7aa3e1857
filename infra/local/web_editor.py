"""The web editor's local backend: Decap CMS's proxy protocol over the working tree.

With `make run`, the editor at http://127.0.0.1:8000/admin/ reads and writes content/
through POST /api/cms/v1 on the site's own origin, answering the actions decap-server
answers in its local file-system mode (info, entriesByFolder, getEntry, persistEntry,
getMedia, persistMedia, deleteFile(s), ...). An edit saved in the editor is a changed
Markdown file in content/, to be committed with Git as any other.

Only files below content/ can be read or written (symbolic links resolved), and only
requests from a page on a loopback origin are answered: the server listens on 127.0.0.1,
but any web page the editor has open could otherwise post to it.
"""

import base64
import hashlib
import json
import os
from functools import partial
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

API_PATH = "/api/cms/v1"
MAX_BODY = 64 * 1024 * 1024  # a video for インターネット放送局 arrives base64-encoded
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Refused(Exception):
    def __init__(self, status, detail, detail_en):
        super().__init__(detail_en)
        self.status, self.detail, self.detail_en = status, detail, detail_en


class Backend:
    """The actions of Decap's local backend, confined to `repo`/`content` (default content/)."""

    def __init__(self, repo, content="content"):
        self.repo = Path(repo).resolve()
        self.content = (self.repo / content).resolve()

    # ------------------------------------------------------------ paths

    def _path(self, relative):
        """The file a repository-relative path names, refusing anything outside content/."""
        if not isinstance(relative, str) or not relative or "\0" in relative:
            raise Refused(422, "パスがありません。", "A path is required.")
        pure = PurePosixPath(relative.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts:
            raise Refused(403, "content/ の外は扱えません。", "Outside content/.")
        path = (self.repo / pure).resolve()
        if path != self.content and self.content not in path.parents:
            raise Refused(403, "content/ の外は扱えません。", "Outside content/.")
        return path

    def _relative(self, path):
        return path.relative_to(self.repo).as_posix()

    # ------------------------------------------------------------ reading

    def _entry(self, relative, label=None):
        path = self._path(relative)
        try:
            data = path.read_bytes()
        except OSError:
            return {"data": None, "file": {"path": relative, "label": label, "id": None}}
        return {
            "data": data.decode("utf-8", errors="replace"),
            "file": {"path": relative, "label": label, "id": hashlib.sha256(data).hexdigest()},
        }

    def _listing(self, folder, extension, depth):
        root = self._path(folder)
        found = []

        def walk(directory, level):
            if level <= 0 or not directory.is_dir():
                return
            for child in sorted(directory.iterdir()):
                if child.is_dir():
                    walk(child, level - 1)
                elif child.is_file() and child.name.endswith(extension or ""):
                    found.append(self._relative(child))

        walk(root, int(depth or 1))
        return found

    def _media(self, relative):
        path = self._path(relative)
        if not path.is_file():
            raise Refused(404, "ファイルがありません。", "No such file.")
        data = path.read_bytes()
        return {
            "id": hashlib.sha256(data).hexdigest(),
            "content": base64.b64encode(data).decode("ascii"),
            "encoding": "base64",
            "path": relative,
            "name": path.name,
        }

    # ------------------------------------------------------------ writing

    def _write(self, relative, data):
        path = self._path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def _decoded(self, asset):
        if asset.get("encoding") != "base64":
            raise Refused(422, "ファイルの形式が違います。", "Assets must be base64.")
        try:
            return base64.b64decode(asset.get("content") or "", validate=True)
        except ValueError:
            raise Refused(422, "ファイルを読み取れません。", "Bad base64.") from None

    # ------------------------------------------------------------ the protocol

    def answer(self, request):
        """(status, body) for one request body of Decap's proxy backend."""
        if not isinstance(request, dict):
            raise Refused(400, "JSON のオブジェクトを送ってください。", "Send a JSON object.")
        action, params = request.get("action"), request.get("params") or {}
        if not isinstance(params, dict):
            raise Refused(400, "params が正しくありません。", "Bad params.")
        if action == "info":
            return {"repo": self.repo.name, "publish_modes": ["simple"], "type": "local_fs"}
        if action == "entriesByFolder":
            paths = self._listing(
                params.get("folder"), params.get("extension"), params.get("depth")
            )
            return [self._entry(p) for p in paths]
        if action == "entriesByFiles":
            files = params.get("files") or []
            return [self._entry(f.get("path"), f.get("label")) for f in files]
        if action == "getEntry":
            return self._entry(params.get("path"))
        if action == "persistEntry":
            files = params.get("dataFiles") or [params.get("entry") or {}]
            writes = [(f.get("path"), str(f.get("raw", "")).encode("utf-8")) for f in files]
            writes += [(a.get("path"), self._decoded(a)) for a in params.get("assets") or []]
            moves = [(f["path"], f["newPath"]) for f in files if f.get("newPath")]
            for relative, _ in writes + [(new, None) for _, new in moves]:
                self._path(relative)  # every path is checked before anything is written
            for relative, data in writes:
                self._write(relative, data)
            for old, new in moves:
                target = self._path(new)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self._path(old), target)
            return {"message": "entry persisted"}
        if action == "getMedia":
            paths = self._listing(params.get("mediaFolder"), "", 1)
            return [self._media(p) for p in paths]
        if action == "getMediaFile":
            return self._media(params.get("path"))
        if action == "persistMedia":
            asset = params.get("asset") or {}
            self._write(asset.get("path"), self._decoded(asset))
            return self._media(asset.get("path"))
        if action in ("deleteFile", "deleteFiles"):
            paths = params.get("paths") if action == "deleteFiles" else [params.get("path")]
            targets = [self._path(p) for p in paths or []]
            for target in targets:
                target.unlink(missing_ok=True)
            return {"message": "deleted"}
        if action == "getDeployPreview":
            return None
        raise Refused(422, f"知らない操作です: {action}", f"Unknown action: {action}")


def _loopback(origin):
    try:
        return urlsplit(origin).hostname in LOOPBACK
    except ValueError:
        return False


def handle(handler, backend):
    """Answer one POST on API_PATH with `backend` (handler: a BaseHTTPRequestHandler)."""
    try:
        if handler.client_address[0] not in ("127.0.0.1", "::1"):
            raise Refused(403, "このコンピュータからだけ使えます。", "Loopback clients only.")
        origin = handler.headers.get("Origin")
        if origin is not None and not _loopback(origin):
            raise Refused(403, "この画面からは使えません。", "Cross-origin request refused.")
        kind = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise Refused(415, "JSON で送ってください。", "Send application/json.")
        length = handler.headers.get("Content-Length") or "0"
        if not length.isdigit():  # a negative length would read until the client hangs up
            raise Refused(400, "Content-Length が正しくありません。", "Bad Content-Length.")
        length = int(length)
        if length > MAX_BODY:
            raise Refused(413, "送信内容が大きすぎます。", "Body too large.")
        try:
            request = json.loads(handler.rfile.read(length) or b"null")
        except ValueError:
            raise Refused(400, "JSON として読み取れません。", "Malformed JSON.") from None
        try:
            status, body = 200, backend.answer(request)
        except (AttributeError, TypeError, ValueError):
            raise Refused(400, "要求の形が正しくありません。", "Malformed request.") from None
        except (IsADirectoryError, NotADirectoryError, FileExistsError):
            # a path that names a folder, or goes through a file: the request's fault
            raise Refused(409, "そのパスはフォルダです。", "The path is a folder.") from None
        except OSError:
            raise Refused(500, "ファイルを読み書きできません。", "File system error.") from None
        kind = "application/json; charset=utf-8"
    except Refused as refused:
        status, kind = refused.status, "application/problem+json; charset=utf-8"
        body = {
            "type": "https://hiroba.pref.miyagi.jp/problems/web-editor",
            "title": refused.detail,
            "title_en": refused.detail_en,
            "status": refused.status,
            "detail": refused.detail,
            "detail_en": refused.detail_en,
            "error": refused.detail,  # what Decap shows to the editor
        }
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def with_web_editor(handler_factory, repo, content="content"):
    """The site's handler (a partial of SiteHandler) answering API_PATH with a Backend too."""
    backend = Backend(repo, content)
    base = handler_factory.func

    class Handler(base):
        def do_POST(self):
            if self.path.split("?", 1)[0] == API_PATH:
                return handle(self, backend)
            return super().do_POST()

    return partial(Handler, *handler_factory.args, **handler_factory.keywords)

"""The web editor's local backend over HTTP, on the development server's handler: what Decap
saves becomes a Markdown file in content/, and nothing outside content/ can be touched."""

import http.client
import json
import threading

import pytest

from infra.local.stack import SiteServer, site_handler
from infra.local.web_editor import API_PATH, with_web_editor
from plugins.web_editor import web_editor

NOTICE = "Title: 題名\nSlug: daimei\n\n本文です。\n"


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "content" / "news").mkdir(parents=True)
    (repo / "content" / "news" / "daimei.md").write_text(NOTICE, "utf-8")
    (repo / "pelicanconf.py").write_text("SITENAME = 'x'\n", "utf-8")
    (tmp_path / "output").mkdir()
    return repo


@pytest.fixture
def port(repo):
    handler = with_web_editor(site_handler(repo.parent / "output", {}), repo)
    server = SiteServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def post(port, body, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    connection.request("POST", API_PATH, data, sent)
    response = connection.getresponse()
    answer = response.status, response.getheader("Content-Type"), json.loads(response.read())
    connection.close()
    return answer


def test_the_editor_finds_the_backend_and_lists_a_folder(port):
    status, _, info = post(port, {"action": "info"})
    assert status == 200
    assert info["type"] == "local_fs" and info["publish_modes"] == ["simple"]
    status, _, entries = post(
        port,
        {
            "action": "entriesByFolder",
            "params": {"folder": "content/news", "extension": "md", "depth": 1},
        },
    )
    assert status == 200
    assert [(e["file"]["path"], e["data"]) for e in entries] == [("content/news/daimei.md", NOTICE)]


def test_a_saved_translation_appears_as_a_markdown_file_beside_the_original(port, repo):
    raw = "Title: Title\nSlug: daimei\nLang: en\n\nBody.\n"
    status, _, answer = post(
        port,
        {
            "action": "persistEntry",
            "params": {
                "dataFiles": [
                    {"path": "content/news/daimei.en.md", "slug": "daimei.en", "raw": raw}
                ],
                "assets": [],
                "options": {"commitMessage": "x"},
            },
        },
    )
    assert (status, answer) == (200, {"message": "entry persisted"})
    assert (repo / "content" / "news" / "daimei.en.md").read_text("utf-8") == raw
    status, _, entry = post(
        port, {"action": "getEntry", "params": {"path": "content/news/daimei.en.md"}}
    )
    assert entry["data"] == raw


@pytest.mark.parametrize(
    "path",
    ["pelicanconf.py", "content/../pelicanconf.py", "/etc/hostname", "content/news/../../x.md", ""],
)
def test_nothing_outside_content_is_read_or_written(port, repo, path):
    before = (repo / "pelicanconf.py").read_text("utf-8")
    status, kind, problem = post(
        port,
        {
            "action": "persistEntry",
            "params": {"dataFiles": [{"path": path, "raw": "x"}], "assets": []},
        },
    )
    assert status in (403, 422)
    assert kind.startswith("application/problem+json")
    assert problem["detail"] and problem["detail_en"] and problem["error"]
    assert (repo / "pelicanconf.py").read_text("utf-8") == before
    assert not (repo / "x.md").exists()
    status, _, _ = post(port, {"action": "getEntry", "params": {"path": path}})
    assert status in (403, 422)


def test_a_symbolic_link_out_of_content_is_refused(port, repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "content" / "link").symlink_to(outside)
    status, _, _ = post(
        port,
        {
            "action": "persistEntry",
            "params": {"dataFiles": [{"path": "content/link/x.md", "raw": "x"}], "assets": []},
        },
    )
    assert status == 403
    assert not (outside / "x.md").exists()


def test_a_page_of_another_site_cannot_write(port, repo):
    body = {
        "action": "persistEntry",
        "params": {"dataFiles": [{"path": "content/news/evil.md", "raw": "x"}], "assets": []},
    }
    status, _, problem = post(port, body, {"Origin": "https://evil.example"})
    assert status == 403 and problem["detail_en"] == "Cross-origin request refused."
    # a form post (no preflight) cannot send JSON
    status, _, _ = post(port, body, {"Content-Type": "text/plain"})
    assert status == 415
    assert not (repo / "content" / "news" / "evil.md").exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        ([1, 2], 400),
        ({"action": "format-disk"}, 422),
        ({"action": "entriesByFiles", "params": {"files": ["x"]}}, 400),
        # a folder where a file is meant: not the server's fault
        (
            {"action": "persistEntry", "params": {"entry": {"path": "content/news", "raw": "x"}}},
            409,
        ),
        (
            {
                "action": "persistMedia",
                "params": {
                    "asset": {
                        "path": "content/news/daimei.md/x.png",
                        "encoding": "base64",
                        "content": "",
                    }
                },
            },
            409,
        ),
        ({"action": "deleteFile", "params": {"path": "content/news"}}, 409),
    ],
)
def test_bad_requests_get_a_problem_in_japanese_and_english(port, body, status):
    answer_status, kind, problem = post(port, body)
    assert answer_status == status
    assert kind.startswith("application/problem+json")
    assert problem["status"] == status and problem["detail"] and problem["detail_en"]


@pytest.mark.parametrize("length", ["abc", "-1", "1e3"])
def test_a_bad_content_length_is_a_problem_not_a_hang(port, length):
    status, kind, problem = post(port, b'{"action": "info"}', {"Content-Length": length})
    assert status == 400 and kind.startswith("application/problem+json")
    assert problem["detail_en"] == "Bad Content-Length."


def test_deleting_an_entry_removes_its_file(port, repo):
    status, _, _ = post(
        port, {"action": "deleteFiles", "params": {"paths": ["content/news/daimei.md"]}}
    )
    assert status == 200
    assert not (repo / "content" / "news" / "daimei.md").exists()


def test_the_editor_page_asks_this_backend():
    script = (web_editor.STATIC / "hiroba-cms.js").read_text("utf-8")
    assert f'window.location.origin + "{API_PATH}"' in script

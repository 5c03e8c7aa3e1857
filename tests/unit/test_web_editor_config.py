"""The web editor's configuration is the content model's: same fields, flags and choices."""

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from pelican.settings import read_settings

from hiroba_core.content import model
from plugins.newsletter.newsletter import REQUIRED as NEWSLETTER_REQUIRED
from plugins.web_editor import web_editor
from tests.conftest import ROOT

CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def settings():
    return read_settings(str(ROOT / "pelicanconf.py"))


@pytest.fixture(scope="module")
def config(settings):
    return web_editor.editor_config(settings)


def collections(config):
    return {c["name"]: c for c in config["collections"]}


def fields(collection):
    return {f["name"]: f for f in collection["fields"] if f["name"] != "body"}


def values(field):
    return [option["value"] for option in field["options"]]


def test_every_model_field_appears_by_its_own_name_and_no_other(config):
    seen = set()
    for collection in config["collections"]:
        names = fields(collection)
        assert set(names) <= set(model.FIELDS), collection["name"]
        for name, field in names.items():
            assert model.FIELDS[name] in field["label"]
        seen |= set(names)
    assert seen == set(model.FIELDS)


def test_required_flags_are_the_models_and_optional_ones_are_said_so(config):
    expected = {
        "news": set(model.REQUIRED["article"]),
        "media": set(model.REQUIRED["article"]) | {"video", "captions"},
        "consultations": set(model.REQUIRED["page"]),
        "newsletter": set(NEWSLETTER_REQUIRED),
    }
    by_name = collections(config)
    pages = [name for name in by_name if name.startswith("pages-")]
    assert pages
    expected |= {name: set(model.REQUIRED["page"]) for name in pages}
    assert set(by_name) == set(expected)
    for name, collection in by_name.items():
        # Decap treats a field without `required` as required: every flag is explicit
        flags = {key: field["required"] for key, field in fields(collection).items()}
        assert {key for key, required in flags.items() if required} == expected[name], name


def test_choices_are_the_registries_and_the_languages(config, settings):
    departments = tomllib.loads((CONTENT / "registry" / "departments.toml").read_text("utf-8"))
    taxonomy = tomllib.loads((CONTENT / "registry" / "taxonomy.toml").read_text("utf-8"))
    languages = [code for code, *_ in settings["HIROBA_LANGUAGES"]]
    for collection in config["collections"]:
        found = fields(collection)
        assert values(found["department"]) == [d for d in departments if d != "defaults"]
        assert values(found["tags"]) == list(taxonomy["tags"])
        assert found["tags"]["multiple"] is True
        # the original is Japanese and names no language; a translation names its own
        assert values(found["lang"]) == [c for c in languages if c != settings["DEFAULT_LANG"]]
        assert values(found["status"]) == list(model.STATUSES)
        if "category" in found:
            assert values(found["category"]) == list(taxonomy["categories"])
    by_name = collections(config)
    assert values(fields(by_name["news"])["severity"]) == list(model.SEVERITIES)
    assert values(fields(by_name["consultations"])["kind"]) == list(model.CONSULTATION_KINDS)
    assert values(fields(by_name["newsletter"])["newsletter"]) == [
        "weekly",
        *settings["NEWSLETTER_TOPICS"],
    ]


def test_formats_are_those_the_model_reads(config):
    for collection in config["collections"]:
        found = fields(collection)
        slug = re.compile(found["slug"]["pattern"][0])
        assert slug.pattern in (model.SLUG_RE.pattern, web_editor.NEWSLETTER_SLUG_RE.pattern)
        for key in model.DATE_FIELDS:
            if key in found:
                assert found[key]["widget"] == "datetime"
                # what the widget writes (YYYY-MM-DD HH:mm) is what the model parses
                assert found[key]["format"] == "YYYY-MM-DD HH:mm"
                assert model.parse_datetime("2026-04-15 10:00").hour == 10
        if "kana" in found:
            assert found["kana"]["pattern"][0] == model.KANA_RE.pattern


def test_collections_are_the_folders_of_content(config):
    by_name = collections(config)
    folders = {c["folder"] for c in config["collections"]}
    for folder in folders:
        assert (ROOT / folder).is_dir(), folder
    sections = {p.name for p in (CONTENT / "pages").iterdir() if p.is_dir()}
    assert {f"content/pages/{s}" for s in sections} <= folders
    assert by_name["news"]["folder"] == "content/news"
    assert by_name["consultations"]["filter"] == {"field": "template", "value": "consultation"}
    assert all(c["format"] == "hiroba-front-matter" for c in config["collections"])


def test_a_production_build_without_the_cms_stops_with_a_message(tmp_path, settings):
    settings = {**settings, "WEB_EDITOR_REQUIRE_BUNDLE": True, "WEB_EDITOR_BUNDLE": str(tmp_path)}
    with pytest.raises(SystemExit) as stopped:
        web_editor.check_settings(settings)
    assert "npm ci" in str(stopped.value)
    assert web_editor.index_page(False).count("npm ci") == 1


def test_the_oauth_server_is_an_https_origin(settings):
    good = {**settings, "WEB_EDITOR_AUTH_BASE_URL": "https://cms-auth.pref.miyagi.example"}
    web_editor.check_settings(good)
    assert web_editor.editor_config(good)["backend"]["base_url"] == good["WEB_EDITOR_AUTH_BASE_URL"]
    for wrong in (
        "https://x.example/oauth/",
        "https://x.example/oauth",
        "http://x.example",
    ):
        with pytest.raises(SystemExit) as stopped:
            web_editor.check_settings({**settings, "WEB_EDITOR_AUTH_BASE_URL": wrong})
        assert "WEB_EDITOR_AUTH_BASE_URL" in str(stopped.value) and wrong in str(stopped.value)
    assert "base_url" not in web_editor.editor_config(settings)["backend"]


# ---------------------------------------------------------------- the front-matter format

HARNESS = """
const fs = require("fs");
let format = null;
const chain = { then: () => chain };
global.window = {
  CMS: {
    registerCustomFormat: (name, extension, f) => { format = f; },
    registerEventListener: () => {},
    init: () => {},
  },
  fetch: () => chain,
  location: { origin: "http://127.0.0.1:8000" },
};
require(process.argv[1]);
const out = {};
for (const path of JSON.parse(fs.readFileSync(0, "utf8"))) {
  const data = format.fromFile(fs.readFileSync(path, "utf8"));
  out[path] = { data, text: format.toFile(data, []) };
}
process.stdout.write(JSON.stringify(out));
"""


def run_format(paths):
    script = Path(web_editor.STATIC / "hiroba-cms.js")
    result = subprocess.run(
        ["node", "-e", HARNESS, str(script)],
        input=json.dumps([str(p) for p in paths]),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_editor_reads_front_matter_as_the_model_does_and_writes_it_back_unchanged():
    paths = sorted(
        p
        for top in ("news", "media", "pages", "consultations", "newsletter")
        for p in (CONTENT / top).rglob("*.md")
    )
    assert len(paths) > 200
    results = run_format(paths)
    for path in paths:
        text = path.read_text("utf-8")
        front = model.read_front_matter(text)
        data = results[str(path)]["data"]
        for key, value in front.values.items():
            if key == "tags":
                assert data[key] == [t.strip() for t in value.split(",") if t.strip()]
            elif key == "emergency":
                assert data[key] is model.is_true(value)
            else:
                assert data[key] == value, (path, key)
        body = "\n".join(text.splitlines()[front.body_start - 1 :])
        assert data["body"].rstrip() == body.rstrip(), path
        # a save that changes nothing leaves the file as it was
        assert results[str(path)]["text"] == text.rstrip("\n") + "\n", path


def test_the_format_writes_one_line_per_key_and_keeps_the_body(tmp_path):
    path = tmp_path / "x.md"
    path.write_bytes(
        "\ufeffTitle: 題名\r\nTags: 電子申請,  防災\r\nSummary: 一行目\r\n    二行目\r\n\r\n本文\r\n".encode()
    )
    result = run_format([path])[str(path)]
    assert result["data"]["tags"] == ["電子申請", "防災"]
    assert result["data"]["summary"] == "一行目 二行目"
    assert result["text"] == "Title: 題名\nTags: 電子申請, 防災\nSummary: 一行目 二行目\n\n本文\n"


def test_only_the_web_editor_gets_the_looser_content_security_policy():
    from hiroba_core import security_headers

    site = security_headers.CONTENT_SECURITY_POLICY
    admin = security_headers.ADMIN_CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in site and "'unsafe-inline'" not in site
    assert "'unsafe-eval'" in admin and "style-src 'self' 'unsafe-inline'" in admin
    assert "frame-ancestors 'none'" in admin and "object-src 'none'" in admin
    for path in ("/admin/", "/admin/config.json", "/admin"):
        assert security_headers.content_security_policy(path) == admin
    for path in ("/", "/news/x/", "/administration/", "/en/admin/"):
        assert security_headers.content_security_policy(path) == site


NAMING = """
let handler = null;
const chain = { then: () => chain };
global.window = {
  CMS: {
    registerCustomFormat: () => {},
    registerEventListener: (listener) => { handler = listener.handler; },
    init: () => {},
  },
  fetch: () => chain,
  location: { origin: "http://127.0.0.1:8000" },
};
require(process.argv[1]);
const map = (values) => ({
  get: (key) => values[key],
  set: (key, value) => map({ ...values, [key]: value }),
  values,
});
const names = JSON.parse(process.argv[2]).map(
  (data) => handler({ entry: { get: () => map(data) } }).values.file_name
);
process.stdout.write(JSON.stringify(names));
"""


def test_new_files_are_named_by_slug_and_language():
    entries = [{"slug": "jidoshazei"}, {"slug": "jidoshazei", "lang": "pt-br"}]
    result = subprocess.run(
        ["node", "-e", NAMING, str(web_editor.STATIC / "hiroba-cms.js"), json.dumps(entries)],
        capture_output=True,
        text=True,
        check=True,
    )
    # the space is the "." of the file name (the configuration's sanitize_replacement)
    assert json.loads(result.stdout) == ["jidoshazei", "jidoshazei pt-br"]
    config_slug = web_editor.editor_config(read_settings(str(ROOT / "pelicanconf.py")))["slug"]
    assert config_slug["sanitize_replacement"] == "."

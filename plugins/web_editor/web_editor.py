"""The web editor under /admin/: Decap CMS, configured from the content model and registries.

Editors who do not use Git edit content/ in the browser; Decap CMS commits their changes
(through the Git host's API in production, to the working tree with `make run`). Its
configuration is generated here from functions/hiroba_core/content/model.py, the department and
taxonomy registries and the site's languages, so the form can never offer a field, a
choice or a required flag the build would refuse.

The CMS itself is Decap CMS from the npm lockfile (node_modules/decap-cms/dist). A build
without it (a clone where `npm ci` has not run) still succeeds and writes an /admin/ page
that says how to install it; production sets WEB_EDITOR_REQUIRE_BUNDLE so that a deploy
can never publish an editor that does not work.
"""

import html
import json
import re
import shutil
from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from hiroba_core.content import model

from .. import settings as plugin_settings
from ..newsletter.newsletter import KINDS_RE as NEWSLETTER_SLUG_RE
from ..newsletter.newsletter import REQUIRED as NEWSLETTER_REQUIRED
from ..settings import Setting

ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parent / "static"

REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# Decap accepts the OAuth window's messages only when their origin equals base_url (less a
# trailing slash): a path would make the login fail with no message, so it is refused here.
AUTH_ORIGIN_RE = re.compile(r"^https://[A-Za-z0-9.-]+(?::[0-9]+)?/?$")
SETTINGS = {
    "WEB_EDITOR_SAVE_AS": Setting(
        "admin", plugin_settings.save_as, "サイト内のフォルダー名（admin）"
    ),
    # the repository and branch the editor commits to in production (GitHub backend)
    "WEB_EDITOR_REPO": Setting(
        "miyagi-pref/hiroba", lambda v: REPO_RE.match(str(v)), "owner/name の形"
    ),
    "WEB_EDITOR_BRANCH": Setting("main", plugin_settings.text, "ブランチ名"),
    # the OAuth client's server (docs/web-editor.md); empty: Decap's default (Netlify's)
    "WEB_EDITOR_AUTH_BASE_URL": Setting(
        "",
        lambda v: v == "" or AUTH_ORIGIN_RE.match(str(v)),
        " OAuth サーバーのオリジン（https://ホスト名、パスなし）",
    ),
    # the content folder as a path inside that repository
    "WEB_EDITOR_CONTENT_DIR": Setting(
        "content", plugin_settings.text, "リポジトリの中のフォルダー名"
    ),
    "WEB_EDITOR_BUNDLE": Setting(
        str(ROOT / "node_modules" / "decap-cms" / "dist"), plugin_settings.text, "フォルダー"
    ),
    "WEB_EDITOR_REQUIRE_BUNDLE": Setting(False),
}
# The files of Decap's bundle the page loads: the entry point, the chunks it loads on
# demand from the same folder, its WebAssembly and the licence notice. Not the source
# maps, and not the same bundle's second name (cms.js).
BUNDLE_FILES = re.compile(r"^(?:[0-9]+\.)?decap-cms\.js(?:\.LICENSE\.txt)?$|^[0-9a-f]+\.wasm$")

# Front matter the checks require for one section beyond the model's REQUIRED (the checks
# in plugins/content_checks say the same; a section whose index page has Save_as, such as
# municipalities, cannot be expressed as a required flag and is described in the hint).
SECTION_REQUIRED = {"media": ("video", "captions")}

COMMON = (
    "title",
    "slug",
    "summary",
    "department",
    "date",
    "modified",
    "tags",
    "lang",
    "translation_key",
    "contact",
    "status",
    "publish_at",
    "expires_at",
)
# collection -> (folder below content/, kind for model.REQUIRED, fields after COMMON)
COLLECTIONS = {
    "news": ("news", "article", ("category", "emergency", "severity", "area")),
    "media": ("media", "article", ("category", "video", "captions", "poster")),
    "consultations": (
        "consultations",
        "page",
        ("template", "kind", "opens_at", "closes_at", "questions", "personal_fields"),
    ),
    "newsletter": ("newsletter", "newsletter", ("newsletter",)),
}
PAGE_FIELDS = ("kana", "template", "order", "url", "save_as")
LABELS = {
    "news": "お知らせ",
    "media": "インターネット放送局",
    "consultations": "意見募集",
    "newsletter": "メルマガ・みやぎ",
}
HINTS = {
    "slug": "URLの末尾です。英小文字・数字・ハイフンで（例: jidoshazei-nofu-2026）。",
    "lang": "日本語の原文では空のままにします。翻訳では言語を選び、原文と同じ Slug にします。",
    "translation_key": "翻訳では原文の Slug を書きます。",
    "date": "例: 2026-04-15 10:00（日本時間）",
    "kana": "県内の市町村のページでは必須です（一覧の並び順に使います）。",
    "opens_at": "意見募集（Kind が consultation）では必須です。",
    "closes_at": "意見募集（Kind が consultation）では必須です。",
    "questions": "q1=質問文 | q2=質問文 の形で書きます。",
    "personal_fields": "例: name=required, email=optional（name, email, address, age_group）",
    "video": "content/media/files/ に置いた動画ファイルの名前",
    "captions": "content/media/files/ に置いた字幕ファイル（WebVTT）の名前",
    "poster": "content/media/files/ に置いた画像ファイルの名前",
}
DATETIME = "YYYY-MM-DD HH:mm"


class WebEditorError(plugin_settings.SettingError):
    """A WEB_EDITOR_* setting is wrong, or production lacks the CMS: the build stops with
    this message (SystemExit keeps Pelican from printing a traceback)."""


def settings_with_defaults(settings):
    return plugin_settings.with_defaults(settings, SETTINGS)


def check_bundle(settings):
    if settings["WEB_EDITOR_REQUIRE_BUNDLE"] and not bundle_files(settings):
        raise WebEditorError(
            f"pelicanconf.py: ウェブエディタ（Decap CMS）が {settings['WEB_EDITOR_BUNDLE']} にありません。"
            "npm ci を実行してからビルドしてください"
        )


def check_settings(settings):
    """Stop on a bad WEB_EDITOR_* value, leaving `settings` as it is."""
    settings = settings_with_defaults(settings)
    plugin_settings.validate(settings, SETTINGS)
    check_bundle(settings)


def bundle_files(settings):
    folder = Path(settings["WEB_EDITOR_BUNDLE"])
    if not (folder / "decap-cms.js").is_file():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and BUNDLE_FILES.match(p.name))


# ---------------------------------------------------------------- the configuration


def _options(pairs):
    return [{"label": label, "value": value} for value, label in pairs]


def field(key, required, settings, collection):
    """The Decap field for one front-matter key; its name is the model's key."""
    spec = {"name": key, "label": f"{key.capitalize()}（{model.FIELDS[key]}）"}
    spec["required"] = required
    if key in model.DATE_FIELDS:
        spec.update(widget="datetime", format=DATETIME, date_format="YYYY-MM-DD")
        spec.update(time_format="HH:mm", picker_utc=False)
    elif key == "summary":
        spec["widget"] = "text"
    elif key == "department":
        departments = settings["DEPARTMENTS"]
        pairs = [(d, f"{v['name']}（{d}）") for d, v in departments.items() if d != "defaults"]
        spec.update(widget="select", options=_options(pairs))
    elif key == "category":
        pairs = [(name, name) for name in settings["TAXONOMY"]["categories"]]
        spec.update(widget="select", options=_options(pairs))
    elif key == "tags":
        pairs = [(name, name) for name in settings["TAXONOMY"]["tags"]]
        spec.update(widget="select", multiple=True, options=_options(pairs))
    elif key == "lang":
        default = settings["DEFAULT_LANG"]
        pairs = [(code, name) for code, _tag, name, _locale in settings["HIROBA_LANGUAGES"]]
        spec.update(widget="select", options=_options(p for p in pairs if p[0] != default))
    elif key in ("status", "severity", "kind", "newsletter"):
        values = {
            "status": model.STATUSES,
            "severity": model.SEVERITIES,
            "kind": model.CONSULTATION_KINDS,
            "newsletter": ("weekly", *settings.get("NEWSLETTER_TOPICS", {})),
        }[key]
        spec.update(widget="select", options=_options((v, v) for v in values))
    elif key == "emergency":
        spec.update(widget="boolean", default=False)
    elif key == "template" and collection == "consultations":
        spec.update(widget="hidden", default="consultation")
    else:
        spec["widget"] = "string"
    if key == "slug":
        slug_re = NEWSLETTER_SLUG_RE if collection == "newsletter" else model.SLUG_RE
        spec["pattern"] = [slug_re.pattern, "英小文字・数字・ハイフンで書いてください"]
    elif key == "kana":
        spec["pattern"] = [model.KANA_RE.pattern, "ひらがなで書いてください"]
    elif key == "order":
        spec["pattern"] = ["^[0-9]+$", "数字で書いてください"]
    if key in HINTS:
        spec["hint"] = HINTS[key]
    return spec


def _required(kind, section):
    if kind == "newsletter":
        return set(NEWSLETTER_REQUIRED)
    return set(model.REQUIRED[kind]) | set(SECTION_REQUIRED.get(section, ()))


def collection(name, label, folder, kind, keys, settings):
    section = Path(folder).name
    required = _required(kind, section)
    content_dir = settings["WEB_EDITOR_CONTENT_DIR"]
    fields = [field(key, key in required, settings, name) for key in keys]
    # index pages (Template: …) may have no body of their own
    body = {"name": "body", "label": "本文（Markdown）", "widget": "markdown", "required": False}
    fields.append(body)
    # New files are named as content/ names them: <slug>.md for the original and
    # <slug>.<lang>.md for a translation beside it, notices with their date in front.
    # hiroba-cms.js sets `file_name` (slug and language) before Decap names the file.
    slug = "{{fields.file_name}}"
    if kind == "article":
        slug = "{{fields.date | date('YYYY-MM-DD')}}-" + slug
    spec = {
        "name": name,
        "label": label,
        "folder": f"{content_dir}/{folder}",
        "extension": "md",
        "format": "hiroba-front-matter",
        "create": True,
        "slug": slug,
        "identifier_field": "title",
        "summary": "{{title}}{{lang | ternary(' [', '')}}{{lang}}{{lang | ternary(']', '')}}",
        "sortable_fields": ["date", "title", "slug"],
        "fields": fields,
    }
    if name == "consultations":
        # the folder also holds the list page; the editor offers the consultations
        spec["filter"] = {"field": "template", "value": "consultation"}
    return spec


def page_sections(settings):
    """The folders below content/pages/: each is a URL section with its own collection."""
    pages = Path(settings["PATH"]) / "pages"
    return sorted(p.name for p in pages.iterdir() if p.is_dir()) if pages.is_dir() else []


def editor_config(settings):
    """The Decap CMS configuration (what Decap calls config.yml) for these settings."""
    settings = settings_with_defaults(settings)
    content_dir = settings["WEB_EDITOR_CONTENT_DIR"]
    backend = {
        "name": "github",
        "repo": settings["WEB_EDITOR_REPO"],
        "branch": settings["WEB_EDITOR_BRANCH"],
        "commit_messages": {
            "create": "ウェブエディタ: {{collection}}「{{slug}}」を作成",
            "update": "ウェブエディタ: {{collection}}「{{slug}}」を更新",
            "delete": "ウェブエディタ: {{collection}}「{{slug}}」を削除",
            "uploadMedia": "ウェブエディタ: ファイル「{{path}}」を追加",
            "deleteMedia": "ウェブエディタ: ファイル「{{path}}」を削除",
        },
    }
    if settings["WEB_EDITOR_AUTH_BASE_URL"]:
        backend["base_url"] = settings["WEB_EDITOR_AUTH_BASE_URL"]
    collections = []
    for name, (folder, kind, extra) in COLLECTIONS.items():
        keys = COMMON + extra
        collections.append(collection(name, LABELS[name], folder, kind, keys, settings))
    sections = settings.get("SECTIONS", {})
    for section in page_sections(settings):
        label = sections[section][0] if section in sections else section
        collections.append(
            collection(
                f"pages-{section}",
                f"ページ: {label}",
                f"pages/{section}",
                "page",
                COMMON + PAGE_FIELDS,
                settings,
            )
        )
    return {
        "backend": backend,
        # Decap uses it only on 127.0.0.1 / localhost; hiroba-cms.js sets its URL
        "locale": "ja",
        "publish_mode": "editorial_workflow",
        # Decap turns every "." of a file name's parts into "-" and replaces characters a
        # URL cannot carry with this one: hiroba-cms.js joins slug and language with a
        # space, which becomes the "." of <slug>.<lang>.md. Slugs allow neither.
        "slug": {"encoding": "unicode", "clean_accents": False, "sanitize_replacement": "."},
        "media_folder": f"{content_dir}/media/files",
        "public_folder": "{static}/media/files",
        "site_url": settings["SITEURL"],
        "collections": collections,
    }


def index_page(has_bundle):
    """/admin/index.html: the CMS, or how to install it. No inline script (the CSP)."""
    if has_bundle:
        head = '<link rel="stylesheet" href="hiroba-cms.css">\n'
        body = (
            "<noscript><p>ウェブエディタを使うには JavaScript を有効にしてください。</p></noscript>\n"
            '<script src="hiroba-init.js"></script>\n'
            '<script src="decap-cms.js"></script>\n'
            '<script src="hiroba-cms.js"></script>\n'
        )
    else:
        head = ""
        body = (
            "<main>\n<h1>ウェブエディタ</h1>\n"
            "<p>ウェブエディタ（Decap CMS）がインストールされていません。"
            "リポジトリのフォルダで <code>npm ci</code> を実行してから、"
            "<code>make run</code> をやり直してください。</p>\n</main>\n"
        )
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{html.escape('ウェブエディタ｜宮城県')}</title>\n"
        f"{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )


class WebEditorGenerator(Generator):
    """Writes /admin/: the page, config.json (Decap's config.yml, as JSON) and the CMS."""

    def generate_context(self):
        pass

    def generate_output(self, writer=None):
        settings = self.settings
        target = Path(self.output_path) / settings["WEB_EDITOR_SAVE_AS"]
        target.mkdir(parents=True, exist_ok=True)
        files = bundle_files(settings)
        for path in files:
            shutil.copyfile(path, target / path.name)
        if files:
            for name in ("hiroba-init.js", "hiroba-cms.js", "hiroba-cms.css"):
                shutil.copyfile(STATIC / name, target / name)
        config = json.dumps(editor_config(self.settings), ensure_ascii=False, indent=1)
        (target / "config.json").write_text(config + "\n", "utf-8")
        (target / "index.html").write_text(index_page(bool(files)), "utf-8")


def initialized(pelican):
    plugin_settings.read(pelican.settings, SETTINGS, check_bundle)


def get_generators(pelican):
    return WebEditorGenerator


def register():
    signals.initialized.connect(initialized)
    signals.get_generators.connect(get_generators)

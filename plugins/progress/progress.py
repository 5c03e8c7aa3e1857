"""Progress of a build on a terminal: what the build is doing and how far it has got.

One line per stage (reading, checks, writing each kind of output, /m/, search index);
while pages are written the line counts them per language, rewritten in place. Nothing is
printed when standard error is not a terminal or when CI is set, so logs and CI output
stay as they are.
"""

import os
import shutil
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

from pelican import signals

# What each generator writes, by the module that defines it.
STAGES = {
    "pelican.generators.ArticlesGenerator": "お知らせ・動画",
    "pelican.generators.PagesGenerator": "ページ",
    "pelican.generators.TemplatePagesGenerator": "テンプレートページ",
    "pelican.generators.StaticGenerator": "画像・資料",
    "plugins.multilingual.multilingual": "各言語のトップと一覧",
    "plugins.json_feed.json_feed": "JSON Feed",
    "plugins.emergency.emergency": "緊急情報",
    "plugins.newsletter.newsletter": "メルマガ",
    "plugins.mobile_site.mobile_site": "/m/（ポケットみやぎ）",
    "plugins.fallback_pages.fallback_pages": "翻訳のない言語のページ",
}
REDRAW_SECONDS = 0.1


def fit(text, columns):
    """As much of `text` as fits in `columns` (kanji and kana take two), so that the line
    never wraps and `\r` can rewrite it."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > columns:
            return text[:index]
    return text


def wanted(stream, environ=os.environ):
    """Progress only for a person watching: a terminal, and not CI."""
    return stream.isatty() and not environ.get("CI")


class Progress:
    def __init__(self, stream, output_path, languages):
        self.stream = stream
        self.output = Path(output_path)
        self.languages = languages
        self.started = time.monotonic()
        self.line = ""  # the unfinished line being rewritten
        self.written = Counter()
        self.drawn = 0.0
        self.read = 0
        # the process that draws: the second writing process (plugins/parallel_write) is silent
        self.pid = os.getpid()

    def say(self, text):
        """A stage's line, finished."""
        if os.getpid() != self.pid:
            return
        self.end()
        self.stream.write(f"{text}\n")
        self.stream.flush()

    def update(self, text, force=False):
        if os.getpid() != self.pid:
            return
        now = time.monotonic()
        if not force and now - self.drawn < REDRAW_SECONDS:
            return
        self.drawn = now
        shown = fit(text, shutil.get_terminal_size((80, 24)).columns - 1)
        self.stream.write("\r\x1b[K" + shown)
        self.stream.flush()
        self.line = shown

    def end(self):
        if self.line:
            self.stream.write("\n")
            self.line = ""

    # ------------------------------------------------------------ stages

    def reading(self, *_, **__):
        self.read += 1
        self.update(f"読み込み: {self.read} ファイル")

    def read_done(self, generator, **_):
        kind = "お知らせ・動画" if hasattr(generator, "articles") else "ページ"
        items = getattr(generator, "articles", None)
        if items is None:
            items = getattr(generator, "pages", [])
        translations = len(getattr(generator, "translations", []))
        self.say(f"読み込み: {kind} {len(items)} 件（翻訳 {translations} 件）")

    def checking(self, generators, **_):
        self.say("検査: コンテンツの検査（content_checks）")
        for generator in generators:
            if hasattr(generator, "generate_output"):
                self._watch(generator)

    def _watch(self, generator):
        cls = type(generator)
        label = STAGES.get(f"{cls.__module__}.{cls.__name__}") or STAGES.get(
            cls.__module__, cls.__name__
        )
        original = generator.generate_output

        def generate_output(writer):
            self.written.clear()
            began = time.monotonic()
            self.update(f"書き出し: {label}", force=True)
            original(writer)
            seconds = time.monotonic() - began
            counts = f" — {self.counts()}" if self.written else ""
            self.update(f"書き出し: {label}{counts}（{seconds:.1f} 秒）", force=True)
            self.end()

        generator.generate_output = generate_output

    def wrote(self, path, **_):
        try:
            first = Path(path).resolve().relative_to(self.output.resolve()).parts[0]
        except (ValueError, IndexError):
            first = ""
        self.written[first if first in self.languages else self.languages[0]] += 1
        label = self.line.split(" — ", 1)[0] if self.line else "書き出し"
        self.update(f"{label} — {self.counts()}")

    def counts(self):
        """Pages written so far in this stage, per language, in the site's language order."""
        return " · ".join(
            f"{lang} {self.written[lang]}" for lang in self.languages if self.written[lang]
        )

    def finishing(self, pelican, **_):
        what = "検索索引（Pagefind）" if pelican.settings.get("SEARCH_INDEX", True) else "完了"
        seconds = time.monotonic() - self.started
        self.say(f"仕上げ: {what}（ここまで {seconds:.1f} 秒）")


# Where each signal's sender keeps the build's settings (the Progress is in them).
SIGNALS = (
    (signals.content_object_init, "reading", lambda content, _: content.settings),
    (signals.article_generator_finalized, "read_done", lambda generator, _: generator.settings),
    (signals.page_generator_finalized, "read_done", lambda generator, _: generator.settings),
    (signals.all_generators_finalized, "checking", lambda generators, _: generators[0].settings),
    (signals.content_written, "wrote", lambda _, kwargs: kwargs.get("context") or {}),
    (signals.finalized, "finishing", lambda pelican, _: pelican.settings),
)
# The build's Progress, kept in its own settings: nothing outlives the build.
PROGRESS = "PROGRESS_REPORTER"


def start(pelican):
    settings = pelican.settings
    settings.pop(PROGRESS, None)
    if not wanted(sys.stderr):
        return
    languages = tuple(
        code for code, *_ in settings.get("HIROBA_LANGUAGES", [(settings["DEFAULT_LANG"],)])
    )
    progress = settings[PROGRESS] = Progress(sys.stderr, pelican.output_path, languages)
    progress.say(f"ひろば: サイトを作ります（{settings['PATH']} → {pelican.output_path}）")


def relay(method, settings_of):
    def handler(sender, **kwargs):
        progress = settings_of(sender, kwargs).get(PROGRESS)
        if progress is not None:
            getattr(progress, method)(sender, **kwargs)

    handler.__name__ = f"progress_{method}"
    return handler


# One handler per signal, made once: a second build in the same process connects the same
# handlers again (a no-op), so no build ever reports another's progress.
HANDLERS = [(signal, relay(method, settings_of)) for signal, method, settings_of in SIGNALS]


def register():
    """Connect now, so that (first in PLUGINS) each stage is announced before other plugins
    do their part of it; the Progress itself is made at `initialized`, when wanted."""
    signals.initialized.connect(start)
    for signal, handler in HANDLERS:
        signal.connect(handler)

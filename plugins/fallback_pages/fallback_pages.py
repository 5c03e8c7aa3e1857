"""Language fallback pages: for every page of the site that has no version in a language, a
page at that language's URL saying the information is in Japanese, with the link to it (so a
link of the language switcher never leads to a 404).

A generator (`get_generators`), listed after every plugin that writes pages: Pelican calls
`generate_output` in the generators' order, so when this one runs every other page of the site
is in the output folder, and the fallbacks are written there, in `generate_output` only. Each
fallback names the page by its heading (the `<h1>` it was written with), which exists only
once that page is rendered; hence the pages are found in the output, not in the context.
"""

import re
from html import escape, unescape
from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from ..multilingual.multilingual import SKIP_FOLDERS, neutral_path, site_for
from ..parallel_write import parallel_write

# Stand-ins rendered once per language and replaced per page: a site of n pages has
# n x (languages - 1) fallback pages, too many to render one by one.
PATH_MARK, URL_MARK, TITLE_MARK = (
    "hiroba-fallback-path",
    "/hiroba-fallback-url/",
    "hiroba-fallback-title",
)
TEMPLATE = "fallback"
NO_TITLE = "宮城県公式ウェブサイト"


def title_of(html):
    """The text of a page's first <h1>, or "" when it has none."""
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


def originals(output, codes):
    """(path, language-neutral path) of each page in the default language, sorted."""
    found = []
    for top in output.iterdir():
        if top.name in codes or top.name in SKIP_FOLDERS:
            continue  # not walked: the other writing process may be adding fallbacks there
        if top.is_dir():
            found += top.rglob("index.html")
        elif top.name == "index.html":
            found.append(top)
    return [
        (relative, neutral_path(relative, codes))
        for relative in (path.relative_to(output).as_posix() for path in sorted(found))
    ]


def fallback_html(page, neutral, title):
    """The language's rendered stand-in page, made the fallback of one page."""
    return (
        page.replace(f"{PATH_MARK}/", neutral)
        .replace(URL_MARK, "/" + neutral)
        .replace(URL_MARK.lstrip("/"), neutral)
        .replace(TITLE_MARK, escape(title) or escape(NO_TITLE))
    )


class FallbackGenerator(Generator):
    """Writes the fallback pages in generate_output; reads no content of its own."""

    WRITES_IN_LANES = True  # page by page, shared with the other writing process

    def generate_context(self):
        pass

    def generate_output(self, writer=None):
        # every other page must be in the output, whichever process wrote it
        parallel_write.barrier(self.settings)
        site = site_for(self.settings)
        template = self.get_template(TEMPLATE)
        output = Path(self.output_path)
        languages = [lang for lang in site.langs if lang.code != site.default]
        banners = self.context.get("EMERGENCIES_BY_LANG", {})
        # the settings, not the build's context: the page lists nothing of the site, only
        # the banner of the live emergencies in its language
        pages = {
            language.prefix: template.render(
                **self.settings,
                EMERGENCIES=banners.get(language.code, []),
                LANG_CODE=language.code,
                output_file=f"{language.prefix}{PATH_MARK}/index.html",
                original_url=URL_MARK,
                original_title=TITLE_MARK,
            )
            for language in languages
        }
        # one page's fallbacks in every language are one process's: only it looks at and
        # writes those paths, so the two never need to wait for each other here
        for relative, neutral in originals(output, {lang.code for lang in languages}):
            if not parallel_write.mine(self.settings):
                continue
            title = title_of((output / relative).read_text("utf-8"))
            for prefix, page in pages.items():
                target = output / prefix / relative
                if target.exists():
                    continue  # a translation, or a page of the language's own
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(fallback_html(page, neutral, title), "utf-8")


def get_generators(pelican):
    return FallbackGenerator


def register():
    signals.get_generators.connect(get_generators)

"""電子申請の手続の案内: pages built from the procedure catalogue (registry/procedures.toml)
and the 団体 registry (registry/dantai.toml), in each of PROCEDURE_PAGES_LANGUAGES:

    procedures/                         the three ways in: by 団体 (the prefecture first,
                                        the municipalities by 五十音 rows of their reading),
                                        by 分類 and by ライフイベント — plain links, no script
    procedures/dantai/<code>/           the procedures of one 団体, by 分類
    procedures/category/<slug>/         one 分類, by 団体
    procedures/life-event/<slug>/       one ライフイベント, by 団体
    procedures/<id>/                    one procedure: what you need, fee, how long, who to ask
    procedures/indicators/              the plan's indicators, from the open data the operator
                                        command writes (documents/open-data/, see
                                        hiroba_core.services.application_indicator)

Other languages get the site's fallback page (plugins/multilingual). The catalogue is read
in generate_context with the parser the API uses; a broken catalogue leaves nothing to
write, and the content checks stop the build with each problem's path:line.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from hiroba_core import catalogue
from hiroba_core.domain.procedure import (
    APPLICANT_FIELDS,
    APPLICANT_KINDS,
    CATEGORIES,
    LIFE_EVENTS,
)

from .. import settings as plugin_settings
from ..gojuon.gojuon import ROWS, row_of
from ..settings import Setting

SETTINGS = {
    "PROCEDURE_PAGES_URL": Setting(
        "procedures/",
        lambda v: isinstance(v, str) and v.endswith("/") and not v.startswith("/"),
        "'procedures/' のような、/ で終わる相対パス",
    ),
    # the languages written here; the others get the site's fallback page
    "PROCEDURE_PAGES_LANGUAGES": Setting(
        ["ja", "en"], lambda v: isinstance(v, list | tuple), "言語コードのリスト"
    ),
    # written by `python -m infra.tools indicator` into content/documents/open-data/
    "PROCEDURE_PAGES_INDICATOR_JSON": Setting(
        "documents/open-data/e-application-usage.json",
        plugin_settings.save_as,
        "content/ の中の相対パス",
    ),
    # the department whose contact ends the pages of municipalities' procedures
    "PROCEDURE_PAGES_DEPARTMENT": Setting("johoseisaku", plugin_settings.text, "部署の id"),
}
# folders of procedures/ that are not procedures: an id equal to one would be written over
RESERVED = ("dantai", "category", "life-event", "indicators")


class ProcedurePagesError(SystemExit):
    """A setting or a procedure id the pages cannot use: the build stops with this line."""


def check_settings(settings):
    """What depends on several settings: the languages must be the site's."""
    known = [row[0] for row in settings["HIROBA_LANGUAGES"]]
    languages = settings["PROCEDURE_PAGES_LANGUAGES"]
    if not isinstance(languages, list | tuple) or settings["DEFAULT_LANG"] not in languages:
        raise ProcedurePagesError(
            "PROCEDURE_PAGES_LANGUAGES must be a list that includes the site's default language"
        )
    for code in languages:
        if code not in known:
            raise ProcedurePagesError(f"PROCEDURE_PAGES_LANGUAGES: {code!r} is not a language")
    url = settings["PROCEDURE_PAGES_URL"]
    if not (isinstance(url, str) and url.endswith("/") and not url.startswith("/")):
        raise ProcedurePagesError("PROCEDURE_PAGES_URL must be a folder like 'procedures/'")


def _in(lang, ja, en):
    """The English text on English pages; Japanese everywhere else (the catalogue has both
    only for names)."""
    return en if lang == "en" and en else ja


def japanese_on(lang, en=""):
    """'ja' where Japanese text stands on a page of another language (its lang attribute),
    else ''."""
    return "" if lang in ("ja", "easy") or (lang == "en" and en) else "ja"


@dataclass
class Facet:
    """A way in: one 団体, 分類 or ライフイベント, and its procedures."""

    kind: str  # dantai, category, life-event
    slug: str
    name: str
    name_en: str
    kana: str = ""
    procedures: list = field(default_factory=list)

    @property
    def url(self):
        return f"{self.kind}/{self.slug}/"

    def name_in(self, lang):
        return _in(lang, self.name, self.name_en)

    def name_lang(self, lang):
        return japanese_on(lang, self.name_en)


@dataclass
class View:
    """One procedure as its pages show it."""

    procedure: object  # hiroba_core.domain.procedure.Procedure
    dantai: object  # hiroba_core.domain.dantai.Dantai
    department: str  # the department's name
    phone: str
    email: str
    category: Facet = None
    life_events: list = field(default_factory=list)

    @property
    def id(self):
        return self.procedure.id

    @property
    def url(self):
        return f"{self.procedure.id}/"

    def title_in(self, lang):
        return _in(lang, self.procedure.title, self.procedure.title_en)

    def title_lang(self, lang):
        return japanese_on(lang, self.procedure.title_en)

    def applicant_kinds_in(self, lang):
        return [_in(lang, kind, APPLICANT_KINDS[kind]) for kind in self.procedure.applicants]

    @property
    def owner(self):
        """The 団体 and the department, as the lists show under the title (in Japanese)."""
        return f"{self.dantai.name} {self.department}"

    def item(self, lang, href):
        """The procedure as the procedure_list component takes it."""
        return {
            "title": self.title_in(lang),
            "href": href,
            "lang": self.title_lang(lang),
            "meta": self.owner,
            "meta_lang": japanese_on(lang),
            "summary": self.procedure.summary,
            "summary_lang": japanese_on(lang),
        }

    def fields_in(self, lang):
        """What the form asks: the applicant's fields, then the procedure's questions."""
        names = [_in(lang, *APPLICANT_FIELDS[name][:2]) for name in self.procedure.applicant]
        questions = [_in(lang, q.label, q.label_en) for q in self.procedure.questions]
        return [label[:1].upper() + label[1:] for label in names + questions]


def _department(procedure, owner, departments):
    if owner.is_prefecture:
        return departments[procedure.department]["name"]
    return owner.departments[procedure.department]


def build(procedures, dantai, departments):
    """(dantai facets, category facets, life-event facets, views), each in the order people
    look for them: the prefecture first and the municipalities by reading; the catalogue's
    order of categories and life events, leaving out those with no procedure."""
    categories = {
        name: Facet("category", slug, name, en) for name, (slug, en) in CATEGORIES.items()
    }
    events = {name: Facet("life-event", slug, name, en) for name, (slug, en) in LIFE_EVENTS.items()}
    owners = {}
    views = []
    for procedure in procedures.values():
        owner = dantai[procedure.dantai]
        view = View(
            procedure=procedure,
            dantai=owner,
            department=_department(procedure, owner, departments),
            phone=procedure.phone or owner.phone,
            email=owner.email,
            category=categories[procedure.category],
            life_events=[events[name] for name in procedure.life_events],
        )
        views.append(view)
        if owner.code not in owners:
            owners[owner.code] = Facet("dantai", owner.code, owner.name, "", kana=owner.kana)
        owners[owner.code].procedures.append(view)
        view.category.procedures.append(view)
        for event in view.life_events:
            event.procedures.append(view)
    order = {code: n for n, code in enumerate(sorted(owners, key=lambda c: _reading(dantai[c])))}
    for facet in [*categories.values(), *events.values()]:
        facet.procedures.sort(key=lambda v: order[v.dantai.code])
    return (
        sorted(owners.values(), key=lambda f: order[f.slug]),
        [f for f in categories.values() if f.procedures],
        [f for f in events.values() if f.procedures],
        views,
    )


def _reading(entry):
    return (0, "") if entry.is_prefecture else (1, entry.kana)


def gojuon_rows(municipalities):
    """[(row, [facets])] of the municipalities, in 五十音 order of their readings."""
    rows = {label: [] for label, _ in ROWS}
    for facet in municipalities:
        rows[row_of(facet.kana)].append(facet)
    return [(label, members) for label, members in rows.items() if members]


def grouped(views, key, name):
    """[(heading facet-or-dantai, [views])] keeping the views' order of first appearance."""
    groups = {}
    for view in views:
        groups.setdefault(key(view), (name(view), []))[1].append(view)
    return list(groups.values())


class ProcedurePagesGenerator(Generator):
    """Reads the catalogue in generate_context; writes only in generate_output."""

    def generate_context(self):
        folder = Path(self.settings["PATH"]) / "registry"
        self.ready = False
        if not (folder / catalogue.FILE_NAME).is_file():
            return  # a site without online procedures
        try:
            procedures, dantai = catalogue.read_folder(folder)
        except catalogue.CatalogueError:
            return  # the content checks report every problem with its line
        self._check_ids(folder, procedures)
        departments = self.settings["DEPARTMENTS"]
        self.owners, self.by_category, self.by_event, self.views = build(
            procedures, dantai, departments
        )
        self.ready = True
        self.outputs = [save_as for save_as, _, _ in self._pages()]
        # for the sitemap: every page's URL
        self.context["PROCEDURE_PAGE_URLS"] = [o.removesuffix("index.html") for o in self.outputs]
        self.context["PROCEDURE_PAGES_URL"] = self.settings["PROCEDURE_PAGES_URL"]
        self.context["PROCEDURE_COUNT"] = len(self.views)

    def _check_ids(self, folder, procedures):
        base = self.settings["PROCEDURE_PAGES_URL"]
        taken = {page.url for page in self.context.get("pages", [])}
        lines = catalogue._Lines((folder / catalogue.FILE_NAME).read_text("utf-8-sig"))
        for pid in procedures:
            if pid in RESERVED or f"{base}{pid}/" in taken:
                raise ProcedurePagesError(
                    f"{folder / catalogue.FILE_NAME}:{lines.of(pid)}: 手続のID「{pid}」は"
                    f"ページ /{base}{pid}/ と重なります。別のIDにしてください"
                    f" (the id is used by another page)"
                )

    def generate_output(self, writer):
        if not self.ready:
            return
        indicators = self._indicators()
        for save_as, template, context in self._pages():
            if template == "procedure-indicators":
                context["indicators"] = indicators
            self._write(save_as, template, **context)

    def _pages(self):
        """(save_as, template, context) of every page, in every language written here."""
        base = self.settings["PROCEDURE_PAGES_URL"]
        prefecture = [f for f in self.owners if f.procedures[0].dantai.is_prefecture]
        municipalities = [f for f in self.owners if f not in prefecture]
        owner_of = {f.slug: f for f in self.owners}
        # the page says who maintains it: the department for the prefecture's procedures,
        # the joint service's office (情報政策課) for the municipalities'
        office = self.settings["PROCEDURE_PAGES_DEPARTMENT"]
        for lang in self.settings["PROCEDURE_PAGES_LANGUAGES"]:
            prefix = "" if lang == self.settings["DEFAULT_LANG"] else f"{lang}/"
            common = {
                "LANG_CODE": lang,
                "procedures_base": base,
                "japanese_on": japanese_on(lang),
                "department_id": office,
                "procedure_items": lambda views, lang=lang, prefix=prefix: [
                    view.item(lang, f"/{prefix}{base}{view.url}") for view in views
                ],
            }
            yield (
                f"{prefix}{base}index.html",
                "procedures",
                {
                    "prefecture": prefecture,
                    "municipality_rows": gojuon_rows(municipalities),
                    "by_category": self.by_category,
                    "by_life_event": self.by_event,
                    "count": len(self.views),
                    **common,
                },
            )
            for facet in self.owners:
                groups = grouped(facet.procedures, lambda v: v.category.slug, lambda v: v.category)
                yield self._list(prefix, base, facet, groups, common)
            for facet in [*self.by_category, *self.by_event]:
                groups = grouped(
                    facet.procedures, lambda v: v.dantai.code, lambda v: owner_of[v.dantai.code]
                )
                yield self._list(prefix, base, facet, groups, common)
            for view in self.views:
                department = view.procedure.department if view.dantai.is_prefecture else office
                yield (
                    f"{prefix}{base}{view.url}index.html",
                    "procedure",
                    {
                        **common,
                        "view": view,
                        "owner": owner_of[view.dantai.code],
                        "department_id": department,
                    },
                )
            yield (
                f"{prefix}{base}indicators/index.html",
                "procedure-indicators",
                {"indicator_json": self.settings["PROCEDURE_PAGES_INDICATOR_JSON"], **common},
            )

    def _list(self, prefix, base, facet, groups, common):
        context = {"facet": facet, "groups": groups, **common}
        return f"{prefix}{base}{facet.url}index.html", "procedure-list", context

    def _indicators(self):
        """The operator command's open data, when it has been written (else None)."""
        path = Path(self.settings["PATH"]) / self.settings["PROCEDURE_PAGES_INDICATOR_JSON"]
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text("utf-8"))
        except json.JSONDecodeError as error:
            raise ProcedurePagesError(f"{path}:{error.lineno}: {error.msg}") from None

    def _write(self, save_as, template, **context):
        html = self.get_template(template).render(
            {**self.context, **context, "output_file": save_as}
        )
        target = Path(self.output_path) / save_as
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, "utf-8")


def initialized(pelican):
    plugin_settings.read(pelican.settings, SETTINGS, check_settings)


def get_generators(pelican):
    return ProcedurePagesGenerator


def register():
    signals.initialized.connect(initialized)
    signals.get_generators.connect(get_generators)

"""One definition of each rule (#12): the site build (plugins/, pelicanconf.py) and the apps
(functions/) import the same objects from hiroba_core, and no second copy is written.

Each rule is tested twice: by what the two sides do (they agree), and by the source (the
literal that defines the rule is written in one module only).
"""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from pelican.contents import Page
from pelican.readers import Readers
from pelican.settings import read_settings

from hiroba_core import catalogue, dates, languages, problems, validation
from hiroba_core.content import model
from hiroba_core.domain import consultation as consultation_domain
from hiroba_core.domain import question, subscription
from hiroba_core.domain.subscription import parse_preferences
from hiroba_core.errors import NotOpen, ValidationFailed
from hiroba_core.store import dynamo, mapping
from hiroba_web import newsletter_pages, procedure_pages, templates
from infra.tools.__main__ import read_consultations
from plugins.consultations import consultations as consultations_plugin
from plugins.emergency import emergency
from plugins.multilingual import multilingual

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def settings():
    return read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(CONTENT)})


# ---------------------------------------------------------------- consultation state


def _site_pages(settings):
    """Every consultation page as Pelican reads it for the site (its Markdown reader)."""
    readers = Readers(settings)
    found = {}
    for path in sorted((CONTENT / "consultations").glob("*.md")):
        page = readers.read_file(
            base_path=str(CONTENT), path=str(path.relative_to(CONTENT)), content_class=Page
        )
        if model.is_consultation(page.metadata):
            found[page.metadata["slug"]] = page
    return found


def _api_consultations():
    """Every consultation as the API holds it: synced from content/ by the operators' CLI,
    written as a DynamoDB item and read back by the store's mapping."""
    found = {}
    for synced in read_consultations(CONTENT):
        item = dynamo.from_item(dynamo.to_item({"data": synced.as_dict()}))
        found[synced.id] = mapping.consultation_from_item(item)
    return found


def _site_state(page, now):
    """The state the consultation page shows: the plugin's Jinja filter at HIROBA_NOW."""
    pelican = SimpleNamespace(settings={"HIROBA_NOW": now.isoformat()})
    consultations_plugin.add_filters(pelican)
    return pelican.settings["JINJA_FILTERS"]["consultation_state"](page)


def test_the_site_and_the_api_agree_on_the_state_of_every_consultation(settings):
    site, api = _site_pages(settings), _api_consultations()
    assert set(site) == set(api) and len(api) >= 3
    second = timedelta(seconds=1)
    seen = set()
    for slug, held in api.items():
        moments = [datetime(2026, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)]
        for edge in (held.opens_at, held.closes_at):
            if edge:
                moments += [edge - second, edge, edge + second]
        for now in moments:
            state = held.state(now)
            assert _site_state(site[slug], now) == state, (slug, now)
            seen.add((held.kind, state))
    # the content has a proposal box and consultations, and the moments reach every state
    assert {
        ("consultation", "upcoming"),
        ("consultation", "open"),
        ("consultation", "closed"),
        ("proposal", "open"),
    } <= seen


def test_consultation_kinds_and_field_modes_are_the_domains():
    assert model.CONSULTATION_KINDS is consultation_domain.KINDS
    assert model.PERSONAL_FIELD_MODES is question.FIELD_MODES
    assert catalogue.FIELD_MODES is question.FIELD_MODES
    assert catalogue.KINDS is question.KINDS
    # the fields a page may ask for are those the API can check
    assert tuple(validation.PERSONAL_FIELDS) == model.PERSONAL_FIELD_NAMES
    with pytest.raises(model.BadConsultation):
        model.parse_personal_fields("phone=required")
    with pytest.raises(model.BadConsultation):
        model.parse_personal_fields("name=sometimes")


def test_consultations_and_procedures_ask_one_kind_of_question():
    consultation = next(iter(_api_consultations().values()))
    procedure = next(p for p in catalogue.load().values() if p.questions)
    assert type(consultation.questions[0]) is question.Question
    assert type(procedure.questions[0]) is question.Question
    assert consultation.questions[0].kind == "text"  # a consultation's are free text


# ---------------------------------------------------------------- languages


def test_the_site_and_the_apps_offer_one_language_list(settings):
    assert settings["HIROBA_LANGUAGES"] is languages.LANGUAGES
    assert settings["DEFAULT_LANG"] == languages.DEFAULT
    # the language switcher, hreflang and the site's newsletter form iterate these objects
    switcher = multilingual.Site(settings).langs
    assert len(switcher) == len(languages.LANGUAGES)
    assert all(a is b for a, b in zip(switcher, languages.LANGUAGES, strict=True))
    # the apps' newsletter preferences and their validation
    assert subscription.LANGUAGES is languages.CODES
    assert newsletter_pages.BY_CODE is languages.BY_CODE


def test_the_apps_newsletter_form_offers_what_the_validation_accepts():
    subscriber = SimpleNamespace(preferences=subscription.Preferences(("bousai",), "weekly", "ja"))
    page = newsletter_pages.preferences_page("token", subscriber, "/unsubscribe")
    form = page.body.decode("utf-8") if isinstance(page.body, bytes) else page.body
    offered = re.findall(r'<option value="([^"]+)"[^>]*>\s*([^<]+?)\s*</option>', form)
    assert offered == [(language.code, language.name) for language in languages.LANGUAGES]
    for code, _ in offered:
        assert parse_preferences({"topics": ["bousai"], "lang": code}).lang == code
    with pytest.raises(ValidationFailed):
        parse_preferences({"topics": ["bousai"], "lang": "fr"})


def test_the_api_description_names_the_same_languages():
    """openapi.json is written by hand, so it is a copy: this keeps it equal."""
    document = json.loads(
        (ROOT / "functions" / "publishing" / "chalicelib" / "openapi.json").read_text("utf-8")
    )
    schema = document["components"]["schemas"]["NewsletterLanguage"]
    assert schema["enum"] == list(languages.CODES)
    assert schema["default"] == languages.DEFAULT


def test_easy_japanese_has_one_tag_for_hreflang_and_cap(settings):
    by_code = multilingual.Site(settings).by_code
    assert by_code["easy"].hreflang == languages.EASY_JAPANESE_TAG == "ja-x-easy"
    assert by_code["easy"].tag == "ja"  # lang="ja": it is Japanese
    tags = {language.code: language.tag for language in settings["HIROBA_LANGUAGES"]}
    assert emergency.hreflang("easy", tags) == languages.EASY_JAPANESE_TAG
    assert emergency.hreflang("pt-br", tags) == "pt-BR"


# ---------------------------------------------------------------- dates


def test_format_jst_reads_every_moment_in_japan_time():
    assert dates.format_jst("2026-11-27T03:00:00+00:00") == "2026年11月27日 12:00"
    assert dates.format_jst(datetime(2026, 11, 26, 15, 0, tzinfo=UTC)) == "2026年11月27日 00:00"
    assert dates.format_jst("2026-11-27T09:05:00") == "2026年11月27日 09:05"  # naive is JST
    assert dates.format_jst(None) == dates.format_jst("") == ""
    assert dates.format_date_ja(datetime(2026, 12, 31, 20, 0, tzinfo=UTC)) == "2027年1月1日"


def test_the_site_and_the_apps_format_dates_with_one_function():
    pelican = SimpleNamespace(settings={})
    consultations_plugin.add_filters(pelican)
    assert pelican.settings["JINJA_FILTERS"]["jst"] is dates.format_jst
    assert procedure_pages.jst is templates.environment().filters["jst"] is dates.format_jst
    assert model.JST is dates.JST
    # the problem an API answers for a consultation not yet open names its window in JST
    upcoming = next(c for c in _api_consultations().values() if c.opens_at)
    problem = problems.from_error(NotOpen(upcoming, "upcoming"))
    assert dates.format_jst(upcoming.opens_at) in problem.detail


# ---------------------------------------------------------------- in the source

SOURCES = sorted(
    [
        *(
            p
            for folder in ("functions", "plugins", "infra", "bench")
            for p in (ROOT / folder).rglob("*.py")
        ),
        ROOT / "pelicanconf.py",
        ROOT / "publishconf.py",
    ]
)
# (what writes the rule down, the one module allowed to)
DEFINITIONS = [
    (r"timedelta\(hours=9\)", "functions/hiroba_core/dates.py"),
    (r"\.year\}年", "functions/hiroba_core/dates.py"),
    (r"[\"']ja-x-easy[\"']", "functions/hiroba_core/languages.py"),
    (r"[\"']zh-hans[\"']", "functions/hiroba_core/languages.py"),
    (r"Bahasa Indonesia", "functions/hiroba_core/languages.py"),
    (r"^class Question\b", "functions/hiroba_core/domain/question.py"),
    (r"\(\"required\", \"optional\"\)", "functions/hiroba_core/domain/question.py"),
    (
        r"\(\"text\", \"choice\", \"integer\", \"date\"\)",
        "functions/hiroba_core/domain/question.py",
    ),
    (r"\(\"consultation\", \"proposal\"\)", "functions/hiroba_core/domain/consultation.py"),
    (r"return \"upcoming\"", "functions/hiroba_core/domain/consultation.py"),
]


@pytest.mark.parametrize(("pattern", "home"), DEFINITIONS, ids=[d[0] for d in DEFINITIONS])
def test_each_rule_is_written_once(pattern, home):
    found = [
        str(path.relative_to(ROOT))
        for path in SOURCES
        if re.search(pattern, path.read_text("utf-8"), re.MULTILINE)
    ]
    assert found == [home]

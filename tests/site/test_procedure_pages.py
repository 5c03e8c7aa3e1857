"""手続き・電子申請: the pages plugins/procedure_pages builds from the catalogue, in the real
site — by 団体 (the prefecture first, the municipalities in 五十音 order), by category, by
life event, one page per procedure in Japanese and English, the fallback in the other
languages — and the links that lead to them (and to メルマガ・みやぎ)."""

import os
import re
import subprocess
import sys

import pytest
from markupsafe import escape

from hiroba_core import catalogue
from hiroba_core.domain.procedure import CATEGORIES, LIFE_EVENTS
from tests.conftest import ROOT, make_content, notice, run_build

PROCEDURES = catalogue.load(ROOT / "content" / "registry" / catalogue.FILE_NAME)
DANTAI = catalogue.load_dantai(ROOT / "content" / "registry" / catalogue.FILE_NAME)


def read(site, path):
    return (site / path / "index.html").read_text("utf-8")


def links(html, prefix):
    return re.findall(rf'href="{re.escape(prefix)}([^"]*)"', html)


def main_of(html):
    return html[html.index("<main") : html.index("</main>")]


def test_the_top_lists_the_prefecture_then_the_municipalities_in_gojuon_order(site):
    html = main_of(read(site, "procedures"))
    codes = [c.rstrip("/") for c in links(html, "/procedures/dantai/")]
    owners = {p.dantai for p in PROCEDURES.values()}
    assert codes[0] == "040002" and set(codes) == owners and len(codes) == len(owners)
    municipalities = codes[1:]
    assert municipalities == sorted(municipalities, key=lambda c: DANTAI[c].kana)
    # a list of links chooses the municipality: no script, no form
    assert "<script" not in read(site, "procedures") and "<select" not in html
    for row in ("あ行", "さ行", "た行", "な行"):
        assert f">{row}</a>" in html
    assert "仙台市<" in html and "せんだいし" in html


def test_each_dantai_page_lists_exactly_its_procedures_by_category(site):
    for code in {p.dantai for p in PROCEDURES.values()}:
        html = main_of(read(site, f"procedures/dantai/{code}"))
        listed = {link.rstrip("/") for link in links(html, "/procedures/")} - {""}
        mine = {pid for pid, p in PROCEDURES.items() if p.dantai == code}
        assert listed == mine, code
        for category in {PROCEDURES[pid].category for pid in mine}:
            assert f"<h2>{category}</h2>" in html


@pytest.mark.parametrize(
    ("kind", "names", "field"),
    [("category", CATEGORIES, "category"), ("life-event", LIFE_EVENTS, "life_events")],
)
def test_category_and_life_event_pages_list_their_procedures(site, kind, names, field):
    top = main_of(read(site, "procedures"))
    for name, (slug, english) in names.items():
        members = {
            pid
            for pid, p in PROCEDURES.items()
            if (name in p.life_events if field == "life_events" else p.category == name)
        }
        page = site / "procedures" / kind / slug / "index.html"
        assert page.is_file() == bool(members), name
        if not members:
            continue
        assert f'href="/procedures/{kind}/{slug}/"' in top
        html = main_of(page.read_text("utf-8"))
        assert f"<h1>{name}</h1>" in html
        listed = {link.rstrip("/") for link in links(html, "/procedures/")} - {""}
        assert {x for x in listed if "/" not in x} == members
        english_page = read(site, f"en/procedures/{kind}/{slug}")
        assert f"<h1>{english}</h1>" in english_page and '<html lang="en">' in english_page
    # the five life events the plan names all have procedures
    for event in ("引っ越し", "出産・子育て", "税金", "事業者", "講座・イベント"):
        assert (site / "procedures" / "life-event" / LIFE_EVENTS[event][0]).is_dir()


def test_a_procedure_page_says_what_you_need_the_fee_how_long_and_who_to_ask(site):
    html = main_of(read(site, "procedures/nozei-shomei"))
    assert "<h1>県税の納税証明書の交付申請</h1>" in html
    assert "「必要な枚数」1につき400円" in html
    assert "1税目1年度につき1通400円" in html  # fee_note
    assert "5日" in html and "標準処理期間" in html
    assert "本人、代理人" in html and "委任状を添付します" in html
    assert "委任状（代理人が申請するとき）（1件、代理人が申請するときは必須）" in html
    assert "不要です" in html  # no signature
    assert "通年（24時間受け付けます" in html
    assert "県税の納税者本人と、その委任を受けた方" in html
    assert "宮城県 総務部 税務課" in html
    # the page's own contact block: the department, for the prefecture's procedures
    assert "<strong>総務部 税務課</strong>" in html
    assert 'href="tel:+81222112111"' in html
    assert 'href="mailto:denshi-shinsei@pref.miyagi.example"' in html
    assert 'href="/procedures/category/zeikin/"' in html
    assert 'href="/procedures/life-event/jigyosha/"' in html
    # 「申請する」: the online form of the procedures app, no placeholder
    assert 'id="procedure-apply"' in html and "準備中" not in html
    assert '<a class="hiroba-button" href="/api/procedures/apply/nozei-shomei">申請する</a>' in html
    english = main_of(read(site, "en/procedures/nozei-shomei"))
    assert 'href="/api/procedures/apply/nozei-shomei">Apply online</a>' in english
    assert "(the application form is in Japanese)" in english
    municipal = main_of(read(site, "procedures/sendai-jumin-yuso"))
    assert "仙台市 青葉区役所 区民部 戸籍住民課" in municipal
    assert "本人確認書類の写し（マイナンバーカード、運転免許証など）（1件、必須）" in municipal
    assert 'href="/procedures/dantai/041009/"' in municipal
    signed = [pid for pid, p in PROCEDURES.items() if p.signature]
    for pid in signed:  # applied for with a signed file: the department says how
        page = read(site, f"procedures/{pid}")
        assert "マイナンバーカードなどの電子証明書" in page
        assert "電話かメールで連絡して申し込めます" in page and "/api/procedures/apply/" not in page


def test_every_procedure_has_a_japanese_and_an_english_page_and_a_fallback_elsewhere(site):
    for pid, procedure in PROCEDURES.items():
        assert f"<h1>{escape(procedure.title)}</h1>" in read(site, f"procedures/{pid}")
        english = read(site, f"en/procedures/{pid}")
        assert '<html lang="en">' in english and f"<h1>{escape(procedure.title_en)}</h1>" in english
        assert 'hreflang="ja" href="http://127.0.0.1:8000/procedures/' in english
    english = main_of(read(site, "en/procedures/nozei-shomei"))
    assert "Who can apply" in english and "The person concerned" in english
    assert "%(fee)s" not in english and "400 yen per “Number of copies”" in english
    # Japanese-only details are marked as Japanese for screen readers
    assert '<dd class="hiroba-summary-list__value" lang="ja">県税の納税者本人' in english
    chinese = read(site, "zh-hans/procedures/nozei-shomei")
    assert 'href="/procedures/nozei-shomei/"' in chinese and 'hreflang="ja"' in chinese
    assert (site / "zh-hans" / "procedures" / "index.html").is_file()


def test_home_navigation_and_footer_lead_to_procedures_and_the_newsletter(site):
    home = read(site, ".")
    body = main_of(home)
    assert 'href="/procedures/"' in body and f"手続を探す（{len(PROCEDURES)}件）" in body
    assert 'href="/newsletter/subscribe/"' in body and 'href="/newsletter/"' in body
    for page in (".", "news", "procedures/nozei-shomei", "policy/online-tetsuzuki"):
        html = read(site, page)
        nav = html[
            html.index('class="hiroba-nav"') : html.index("</nav>", html.index("hiroba-nav"))
        ]
        assert 'href="/procedures/"' in nav
        footer = html[html.index("<footer") :]
        assert 'href="/newsletter/"' in footer
    english_footer = read(site, "en")[read(site, "en").index("<footer") :]
    assert 'href="/en/newsletter/"' in english_footer
    assert (site / "en" / "newsletter" / "index.html").is_file()
    # the status page's breadcrumb now leads to the guide
    assert '<a href="/procedures/">手続き・電子申請</a>' in read(site, "procedures/status")


def test_the_sitemap_lists_the_guide(site):
    sitemap = (site / "sitemap.xml").read_text("utf-8")
    for url in ("procedures/", "procedures/nozei-shomei/", "en/procedures/category/zeikin/"):
        assert f"<loc>http://127.0.0.1:8000/{url}</loc>" in sitemap


def test_the_indicator_page_shows_the_plans_targets_before_any_count(site):
    html = main_of(read(site, "procedures/indicators"))
    assert "10,364件" in html and "15,000件" in html and "22.6%" in html and "30%" in html
    assert "集計したあとにこのページとオープンデータで公表します" in html


def test_a_procedure_id_that_is_a_folder_of_the_guide_stops_the_build(tmp_path):
    content = make_content(tmp_path, {"news/ok.md": notice("ok", "電子申請のお知らせ")})
    path = content / "registry" / "procedures.toml"
    text = path.read_text("utf-8")
    line = text.count("\n", 0, text.index("[tomiya-shimin-koza]")) + 1
    text = (
        text.replace("[tomiya-shimin-koza]", "[indicators]")
        .replace("[tomiya-shimin-koza.", "[indicators.")
        .replace("[[tomiya-shimin-koza.", "[[indicators.")
    )
    path.write_text(text, "utf-8")
    result = run_build(content, tmp_path / "output")
    assert result.returncode != 0
    assert (
        f"{path}:{line}: 手続のID「indicators」はページ /procedures/indicators/ と重なります"
        in (result.stdout + result.stderr)
    )
    assert "Traceback" not in result.stdout + result.stderr


def test_the_plugin_refuses_a_language_the_site_does_not_have(tmp_path):
    settings = tmp_path / "conf.py"
    settings.write_text(
        "from pelicanconf import *  # noqa\nPROCEDURE_PAGES_LANGUAGES = ['ja', 'fr']\n",
        "utf-8",
    )
    content = make_content(tmp_path, {"news/ok.md": notice("ok", "電子申請のお知らせ")})
    result = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(settings)],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HIROBA_CONTENT": str(content),
            "HIROBA_OUTPUT": str(tmp_path / "out"),
            "HIROBA_SEARCH_INDEX": "0",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "PROCEDURE_PAGES_LANGUAGES: 'fr' is not a language" in result.stdout + result.stderr

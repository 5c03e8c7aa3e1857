"""ポケットみやぎ (/m/): Shift_JIS pages a feature phone can show and a keypad can drive."""

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

from PIL import Image

from hiroba_core import sjis
from tests.conftest import make_content, notice, run_build

LIMIT = 10 * 1024


def mobile_pages(site):
    return sorted((site / "m").rglob("*.html"))


def decode(path):
    return path.read_bytes().decode("cp932")  # strict: any stray byte fails


def test_every_mobile_page_is_shift_jis_xhtml_within_budget(site):
    pages = mobile_pages(site)
    assert len(pages) >= 80
    for page in pages:
        data = page.read_bytes()
        assert len(data) <= LIMIT, (page, len(data))
        text = data.decode("cp932")
        assert text.startswith('<?xml version="1.0" encoding="Shift_JIS"?>')
        assert 'content="text/html; charset=Shift_JIS"' in text
        assert "<script" not in text and "<link" not in text and "<style" not in text
        assert "<table" not in text  # tables are linearised
        # well-formed XML (XHTML Basic), so strict handset parsers take it
        ET.fromstring(re.sub(r"^<\?xml[^>]*>\s*<!DOCTYPE[^>]*>", "", text))


def test_accesskeys_are_unique_and_shown_as_numbers(site):
    for page in mobile_pages(site):
        text = decode(page)
        keys = re.findall(r'accesskey="([^"]+)">\[([^\]]+)\]', text)
        assert keys, page
        assert all(key == shown for key, shown in keys), page
        assert len({key for key, _ in keys}) == len(keys), page
        assert set(k for k, _ in keys) <= set("1234567890*#")


def test_every_mobile_link_resolves(site):
    for page in mobile_pages(site):
        for href in re.findall(r'(?:href|src)="(/[^"]*)"', decode(page)):
            target = site / href.lstrip("/")
            if href.endswith("/"):
                target = target / "index.html"
            assert target.is_file(), (page, href)


def test_top_page_order_and_links_from_the_main_site(site):
    top = decode(site / "m" / "index.html")
    headings = re.findall(r"<h2>(?:<a [^>]*>\[\d\])?([^<]+)", top)
    assert headings == ["緊急情報", "防災・危機管理", "観光・交流", "お知らせ", "手続き"]
    assert 'href="/m/"' in (site / "index.html").read_text("utf-8")


def test_status_inquiry_is_reached_from_the_top_by_a_number(site):
    top = decode(site / "m" / "index.html")
    link = re.search(
        r'<a href="/m/procedures/status/" accesskey="(\d)">\[(\d)\]申請状況の照会</a>', top
    )
    assert link and link.group(1) == link.group(2)
    page = decode(site / "m" / "procedures" / "status" / "index.html")
    # the form the procedures API answers in Shift_JIS (tests/functions post it for real)
    form = re.search(r'<form action="([^"]+)" method="post">(.*?)</form>', page, re.S)
    assert form and form.group(1) == "/api/procedures/m/inquiries"
    names = re.findall(r'<input type="text" id="[^"]+" name="([^"]+)"', form.group(2))
    assert names == ["reference", "inquiry_code"]
    for field in names:
        assert f'<label for="{field}">' in form.group(2)


def test_main_site_status_inquiry_form_posts_to_the_procedures_api(site):
    page = (site / "procedures" / "status" / "index.html").read_text("utf-8")
    form = re.search(r'<form class="hiroba-form" method="post" action="([^"]+)"', page)
    assert form and form.group(1) == "/api/procedures/inquiries"
    # the ids the API's error summary links back to
    assert 'id="inquiry-reference" name="reference"' in page
    assert 'id="inquiry-code" name="inquiry_code"' in page
    assert 'href="/m/procedures/status/"' in page
    assert 'href="/procedures/status/"' in (site / "index.html").read_text("utf-8")


def test_contact_numbers_are_tel_links(site):
    page = decode(next((site / "m" / "news").glob("*/index.html")))
    assert '<a href="tel:0222112111">022-211-2111</a>' in page


def test_images_are_small_jpegs_with_alt(site):
    images = list((site / "m" / "images").glob("*.jpg"))
    assert images
    for path in images:
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.width <= 240
    for page in mobile_pages(site):
        for tag in re.findall(r"<img [^>]*>", decode(page)):
            assert re.search(r'alt="[^"]+"', tag), tag


def test_text_browser_navigates_by_numbers(site):
    w3m = shutil.which("w3m")
    assert w3m, "w3m is needed: apt-get install w3m (make test installs it as root)"
    dump = subprocess.run(
        [w3m, "-I", "SJIS", "-O", "UTF-8", "-dump", str(site / "m" / "index.html")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "[1]防災・危機管理" in dump and "[3]お知らせ" in dump


def test_long_pages_split_into_numbered_parts(tmp_path):
    paragraph = (
        "宮城県電子申請システムでは、県と市町村の手続をインターネットで受け付けています。" * 6
    )
    body = "\n\n".join(f"## 第{n}節\n\n{paragraph}" for n in range(1, 31))
    content = make_content(tmp_path, {"news/long.md": notice("long", "長いお知らせ", body=body)})
    result = run_build(content, tmp_path / "output")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "output" / "m" / "news" / "long"
    parts = [folder / "index.html"] + sorted(
        (p for p in folder.glob("*/index.html")), key=lambda p: int(p.parent.name)
    )
    assert len(parts) >= 2
    text = "".join(decode(p) for p in parts)
    for n in range(1, 31):
        assert text.count(f"第{n}節") == 1  # nothing lost, nothing repeated
    for number, part in enumerate(parts, 1):
        page = decode(part)
        assert len(part.read_bytes()) <= LIMIT
        assert (f"（{number}/{len(parts)}）") in page
        assert ('accesskey="*"' in page) == (number > 1)
        assert ('accesskey="#"' in page) == (number < len(parts))


def test_unencodable_character_stops_the_build_with_path_and_line(tmp_path):
    body = "本文です。\n\n吉の異体字「\U00020bb7」を含みます。"
    content = make_content(tmp_path, {"news/kanji.md": notice("kanji", "異体字", body=body)})
    result = run_build(content, tmp_path / "output")
    assert result.returncode == 1
    assert "news/kanji.md:10: 携帯版（Shift_JIS）で表示できない文字" in result.stderr
    assert "Traceback" not in result.stderr


def test_mapping_table_round_trips():
    for source, target in sjis.MAPPING.items():
        encoded = sjis.encode(source)
        assert encoded.decode("cp932") == target, source
    assert sjis.encode("波線〜と全角チルダ～").decode("cp932") == "波線～と全角チルダ～"
    assert sjis.encode("①髙橋").decode("cp932") == "(1)高橋"

"""The edge include: which region a page gets, and how it is put into the page."""

from hiroba_core import emergency_region as banner
from infra.edge import headers

MANIFEST = {"default_lang": "ja", "languages": ["easy", "en", "zh-hans"], "mobile_root": "m"}
PAGE = (
    b"<!DOCTYPE html><html><body><!--hiroba:emergency--><p>old</p>"
    b"<!--/hiroba:emergency      --><main>x</main></body></html>"
)


def test_each_page_gets_the_region_of_its_output_and_language():
    name = banner.region_name
    assert name("index.html", MANIFEST) == "main.ja.inc"
    assert name("news/x/index.html", MANIFEST) == "main.ja.inc"
    assert name("en/news/x/index.html", MANIFEST) == "main.en.inc"
    assert name("zh-hans/index.html", MANIFEST) == "main.zh-hans.inc"
    assert name("easy/about/index.html", MANIFEST) == "main.easy.inc"
    assert name("m/index.html", MANIFEST) == "mobile-top.ja.inc"
    assert name("m/news/x/index.html", MANIFEST) == "mobile.ja.inc"
    assert name("english/index.html", MANIFEST) == "main.ja.inc"  # not a language folder


def test_urls_map_to_pages_and_never_outside_the_site():
    assert banner.page_path("/") == "index.html"
    assert banner.page_path("/en/news/x/") == "en/news/x/index.html"
    assert banner.page_path("/m/index.html?x=1") == "m/index.html"
    assert banner.page_path("/news/%E3%81%82/") == "news/あ/index.html"
    assert banner.page_path("/theme/css/hiroba.css") is None
    assert banner.page_path("/pagefind/x.html") is None
    assert banner.page_path("/_emergency/main.ja.inc") is None
    assert banner.page_path("/../../etc/passwd.html") is None
    assert banner.page_path("/a/%2e%2e/%2e%2e/x.html") is None
    assert banner.site_path("/documents/plan.pdf") == "documents/plan.pdf"
    assert banner.site_path("/documents/%2e%2e/%2e%2e/etc/passwd") is None


def test_splice_replaces_only_the_region():
    region = b"<!--hiroba:emergency--><p>NEW</p><!--/hiroba:emergency  -->"
    spliced = banner.splice(PAGE, region)
    assert spliced == PAGE.replace(PAGE[PAGE.index(b"<!--h") : PAGE.index(b"<main")], region)
    assert banner.splice(b"<p>no region</p>", region) == b"<p>no region</p>"
    assert banner.splice(spliced, region) is spliced  # already current: untouched


def test_regions_without_a_manifest_leave_pages_as_built():
    regions = banner.Regions(lambda name: None)
    assert regions.apply("index.html", PAGE) == PAGE


def test_regions_are_read_once_per_kind():
    reads = []
    files = {
        banner.MANIFEST: banner.manifest_bytes("ja", ["en"], "m"),
        "_emergency/main.en.inc": b"<!--hiroba:emergency-->EN<!--/hiroba:emergency-->",
    }

    def read(name):
        reads.append(name)
        return files.get(name)

    regions = banner.Regions(read)
    for _ in range(3):
        assert b"EN" in regions.apply("en/index.html", PAGE)
    assert reads.count("_emergency/main.en.inc") == 1


def test_mobile_pages_are_sent_as_shift_jis():
    assert headers.content_type("m/index.html") == "text/html; charset=Shift_JIS"
    assert headers.content_type("/m/news/x/index.html") == "text/html; charset=Shift_JIS"
    assert headers.content_type("mobile/index.html") == "text/html; charset=utf-8"
    assert headers.content_type("en/index.html") == "text/html; charset=utf-8"

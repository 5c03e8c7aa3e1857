"""The local server sends the charset each output is written in."""

from infra.local.stack import SiteHandler


def content_type(path):
    handler = SiteHandler.__new__(SiteHandler)  # no socket needed to ask for a type
    return handler.guess_type(path)


def test_feature_phone_pages_are_shift_jis_and_the_site_utf8():
    assert content_type("/m/news/x/index.html") == "text/html; charset=Shift_JIS"
    assert content_type("/news/x/index.html") == "text/html; charset=utf-8"
    assert content_type("/media/files/a.vtt") == "text/vtt"

"""The newsletter's copies made from one composed message (hiroba_core.mail.ListTemplate)
read exactly as the message the `email` package composes for each person would."""

import email
import email.policy

import pytest

from hiroba_core.mail import Mailer, SmtpTransport
from hiroba_core.services import sending

MANAGE, LEAVE = sending.MANAGE_MARK, sending.UNSUBSCRIBE_MARK
TEXT = f"メルマガ・みやぎ 第12号\n\n配信の設定：{MANAGE}\n配信の停止：{LEAVE}\n"
HTML = (
    f'<p>メルマガ・みやぎ 第12号</p><p><a href="{MANAGE}">設定</a> <a href="{LEAVE}">停止</a></p>'
)
HEADERS = {
    "List-Unsubscribe": f"<{LEAVE}>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    "List-Id": "メルマガ・みやぎ <newsletter.pref.miyagi.jp>",
}


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.default)


def person(n):
    manage = f"https://www.pref.miyagi.jp/api/publishing/newsletter/preferences?token=m{n}&x=<1>"
    leave = f"https://www.pref.miyagi.jp/api/publishing/newsletter/unsubscribe?token=u{n}"
    return f"person{n}@example.jp", {
        MANAGE: (manage, manage.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")),
        LEAVE: (leave, leave),
    }


@pytest.mark.parametrize("html", [HTML, None])
def test_each_copy_reads_as_the_message_composed_for_that_person(html):
    mailer = Mailer(SmtpTransport("127.0.0.1", 25), "merumaga@pref.miyagi.jp")
    template = mailer.list_template("【メルマガ・みやぎ】第12号", TEXT, html, HEADERS)
    ids = set()
    for n in range(3):
        to, marks = person(n)
        copy = parse(template.copy(to, marks))
        text, body = TEXT, html
        for mark, (plain, escaped) in marks.items():
            text = text.replace(mark, plain)
            body = body and body.replace(mark, escaped)
        headers = {k: v.replace(LEAVE, marks[LEAVE][0]) for k, v in HEADERS.items()}
        expected = parse(
            mailer.compose_list(to, "【メルマガ・みやぎ】第12号", text, body, headers).as_bytes()
        )
        for name in ("From", "To", "Subject", "MIME-Version", *HEADERS):
            assert copy[name] == expected[name], name
        assert copy.get_content_type() == expected.get_content_type()
        got = [p.get_content() for p in copy.walk() if not p.is_multipart()]
        want = [p.get_content() for p in expected.walk() if not p.is_multipart()]
        assert got == want
        assert all(p.get_content_charset() == "utf-8" for p in copy.walk() if not p.is_multipart())
        assert "%%HIROBA" not in template.copy(to, marks).decode()
        ids.add(copy["Message-ID"])
    assert len(ids) == 3  # a Message-ID of its own per copy

"""The whole flow on one origin (built site + /api/* proxy), without and with script."""

import time
from html.parser import HTMLParser
from urllib.parse import urlencode

from hiroba_core import tokens

BROWSER = {
    "Accept": "text/html,application/xhtml+xml",
    "Content-Type": "application/x-www-form-urlencoded",
}


class Form(HTMLParser):
    """The comment form of a page: its action and its controls' names and ids."""

    def __init__(self):
        super().__init__()
        self.action, self.names, self.ids, self.labels, self.autocomplete = (
            None,
            [],
            set(),
            set(),
            {},
        )

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "form" and "data-comment-form" in a:
            self.action = a["action"]
        if tag in ("input", "textarea", "select") and a.get("name"):
            self.names.append(a["name"])
            if "autocomplete" in a:
                self.autocomplete[a["name"]] = a["autocomplete"]
        if tag == "label":
            self.labels.add(a.get("for"))


def read_form(site, path):
    reply = site.request("GET", path)
    assert reply.status == 200, reply
    form = Form()
    form.feed(reply.text())
    return form


def test_open_consultation_page_has_an_accessible_form(site):
    form = read_form(site, "/consultations/open-one/")
    assert form.action == "/api/publishing/consultations/open-one/comments"
    assert {
        "answer-q1",
        "answer-q2",
        "name",
        "email",
        "address",
        "age_group",
        "website",
        "ticket",
    } <= set(form.names)
    for control in ("comment-answer-q1", "comment-name", "comment-email", "comment-age_group"):
        assert control in form.ids and control in form.labels
    assert form.autocomplete["name"] == "name" and form.autocomplete["email"] == "email"


def test_no_form_before_or_after_the_window(site):
    for path, words in (
        ("/consultations/upcoming-one/", "始まります"),
        ("/consultations/closed-one/", "終了しました"),
    ):
        reply = site.request("GET", path)
        assert "data-comment-form" not in reply.text() and words in reply.text()


def test_without_script_post_redirects_303_to_the_receipt_page(site):
    form = read_form(site, "/consultations/open-one/")
    fields = {name: "" for name in form.names}
    fields.update(
        {"answer-q1": "宮城の多言語化を進めてください。", "name": "宮城 太郎", "age_group": "40代"}
    )
    headers = {**BROWSER, "X-Forwarded-For": "192.0.2.10"}
    reply = site.request("POST", form.action, raw=urlencode(fields).encode(), headers=headers)
    assert reply.status == 303, reply
    location = reply.headers["location"]
    assert location.startswith("/api/publishing/receipts/")
    page = site.request("GET", location, headers={"Accept": "text/html"})
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    number = location.rsplit("/", 1)[1]
    assert f"{number[:4]}-{number[4:]}" in page.text()
    assert "受け付けました" in page.text() and "宮城 太郎" not in page.text()


def test_without_script_errors_come_back_as_a_page_linking_to_the_fields(site):
    form = read_form(site, "/consultations/open-one/")
    fields = {name: "" for name in form.names} | {"email": "wrong"}
    headers = {**BROWSER, "X-Forwarded-For": "192.0.2.11"}
    reply = site.request("POST", form.action, raw=urlencode(fields).encode(), headers=headers)
    assert reply.status == 422 and reply.headers["content-type"].startswith("text/html")
    page = reply.text()
    assert 'class="hiroba-error-summary"' in page and 'role="alert"' in page
    for control in ("comment-answer-q1", "comment-email"):
        assert f'href="/consultations/open-one/#{control}"' in page
        assert control in form.ids


def test_with_script_json_and_idempotency_through_the_proxy(site, stack):
    ticket = site.request("GET", "/api/publishing/form-ticket").json()["ticket"]
    assert tokens.ticket_age(stack.settings().secret, ticket) is not None
    body = {
        "answers": {"q1": "スクリプトありの送信です。"},
        "ticket": tokens.form_ticket(stack.settings().secret, time.time() - 20),
        "website": "",
    }
    headers = {
        "Idempotency-Key": f"browser-{time.time_ns()}",
        "Accept": "application/json",
        "X-Forwarded-For": "192.0.2.12",
    }
    first = site.request("POST", "/api/publishing/consultations/open-one/comments", body, headers)
    retry = site.request("POST", "/api/publishing/consultations/open-one/comments", body, headers)
    assert first.status == 201 and retry.status == 200, (first, retry)
    assert first.json()["receipt_number"] == retry.json()["receipt_number"]
    problem = site.request(
        "POST",
        "/api/publishing/consultations/open-one/comments",
        {"answers": {}},
        {"X-Forwarded-For": "192.0.2.13"},
    )
    assert problem.status == 422 and problem.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_procedures_app_is_behind_the_same_origin(site):
    assert site.request("GET", "/api/procedures/health").json() == {"status": "ok"}
    assert site.request("GET", "/api/nothing/health").status == 404

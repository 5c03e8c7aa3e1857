"""The theme's form components and every page an app answers, in real Chromium through the
accessibility gate at both widths (issue #12: the apps render pages with the theme).

Each YAML example of each component is rendered by the apps' Jinja environment
(hiroba_web.templates) into a page of its own; every page function of hiroba_web is called
with realistic data and its answer written as a file; both are served with the site's
stylesheet and the production security headers, and audited like the site's pages.
"""

import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import html5lib
import pytest
import yaml
from markupsafe import escape

from hiroba_core import catalogue, problems
from hiroba_core.domain.draft import Draft
from hiroba_core.domain.subscription import Preferences
from hiroba_core.errors import CopyLinkInvalid, FieldError, ValidationFailed
from hiroba_core.services import applications, apply
from hiroba_core.signatures.verify import Verdict
from hiroba_web import (
    apply_pages,
    attachment_pages,
    keitai,
    newsletter_pages,
    pages,
    payment_pages,
    procedure_pages,
    signature_pages,
    templates,
)
from infra.a11y import gate
from tests.unit.test_components import pelican_environment, render

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ROOT / "theme" / "templates" / "components"
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC).isoformat()


def component_examples():
    for spec in sorted(COMPONENTS.glob("*/*.yaml")):
        for example in yaml.safe_load(spec.read_text("utf-8"))["examples"]:
            yield spec.parent.name, example["name"], example["params"]


# the components the apps' pages use (the others need the site build's filters: dates,
# notice lists, pagination; tests/unit/test_components.py renders those)
HEADER_COMPONENTS = {"language_switcher"}
SITE_ONLY = {"breadcrumbs", "dates", "newsletter_sections", "notice_list", "pagination"}


def _validation_problem():
    return problems.from_error(
        ValidationFailed(
            [
                FieldError("answers.q1", "ご意見を入力してください", "Enter your comment"),
                FieldError(
                    "email",
                    "メールアドレスを name@example.jp のような形で入力してください",
                    "Enter an email address like name@example.jp",
                ),
            ]
        )
    )


def _inquiry_problem():
    return problems.from_error(
        ValidationFailed(
            [FieldError("reference", "到達番号を入力してください", "Enter the reference")]
        )
    )


def _view():
    step = {"status": "in_review", "status_label": "審査中", "at": NOW}
    return {
        "reference": "ACEF-GHJK-MNPR",
        "procedure": {"id": "p", "title": "児童手当の認定請求", "title_en": "Child allowance"},
        "status": "in_review",
        "status_label": "審査中",
        "received_at": NOW,
        "history": [{**step, "status_label": "到達"}, step],
        "fee": 400,
        "payment_label": "未納",
    }


def _notice(**changes):
    return {
        "notice_number": "4026-0501-0004-5678",
        "tax": "自動車税（種別割）",
        "fiscal_year": 2026,
        "period": "全期",
        "subject": "宮城 500 あ 12-34 <script>",  # escaped: the notice's own text
        "amount": 25000,
        "due": "2026年6月1日",
        "dantai": "040002",
        "paid": False,
        **changes,
    }


def _payment(status="started", method="payeasy", **changes):
    return {
        "payment_id": "w9xw8TO0IpWydy_I3DfWeg",
        "payable_kind": "tax",
        "description": "自動車税（種別割） 2026年度 全期 <script>",
        "amount": 25000,
        "method": method,
        "method_label": {"payeasy": "ペイジー", "card": "クレジットカード"}[method],
        "status": status,
        "status_label": {"started": "お支払い待ち", "success": "納付済"}.get(status, "未完了"),
        "created_at": NOW,
        "expires_at": NOW,
        "paid_at": NOW if status == "success" else None,
        "refunded": 0,
        "next_url": "https://sandbox.example/card/x?a=1&b=<2>" if method == "card" else None,
        "receipt_url": "/api/procedures/payments/w9xw8TO0IpWydy_I3DfWeg/receipt",
        "payeasy": {
            "collector": "58021",
            "customer": "40260501000456",
            "confirmation": "493817",
            "deadline": NOW,
        },
        **changes,
    }


def _attachments_page(refused=None, full=False):
    """The attachments page of a draft of 住民票の写しの郵送請求 (仙台市): one file attached
    (its name escaped), the forms of what may still be added (presigned POSTs to the bucket)."""
    procedure = catalogue.load(None)["sendai-jumin-yuso"]
    form = {
        "url": "https://hiroba-attachments.s3.ap-northeast-1.amazonaws.com/",
        "fields": {"key": "drafts/041009/d/incoming/2/0190a1b2c3d4e5f6a7b8c9/${filename}"},
    }
    file = {
        "id": "0190a1b2c3d4e5f6a7b8c9",
        "kind": "1",
        "kind_label": procedure.attachments[0].kind,
        "name": "本人確認<script>.pdf",
        "size_label": "1.2MB",
        "type_label": "PDF",
    }
    documents = [
        {
            "kind": str(n),
            "label": a.kind,
            "count": a.count,
            "required": a.required,
            "attached": 1 if n == 1 else int(full),
            "remaining": 0 if n == 1 or full else 1,
            "form": None if n == 1 or full else form,
        }
        for n, a in enumerate(procedure.attachments, 1)
    ]
    files = [file] + ([{**file, "id": "x", "kind": "2", "name": "委任状.jpg"}] if full else [])
    return attachment_pages.upload_page(
        procedure,
        files,
        documents,
        [],
        notice={"added": file["name"]},
        refused=refused,
        back_url="/procedures/sendai-jumin-yuso/",
    )


CONSULTATION = SimpleNamespace(title="みやぎ多言語情報ガイドライン（案）", url="/consultations/x/")
RECEIPT = SimpleNamespace(display="ACEF-GHJK", created_at=NOW)
SUBSCRIBER = SimpleNamespace(preferences=Preferences(("bousai", "event"), "weekly", "en"))
TOKEN = "t0ken.<script>"  # escaped wherever it lands
# every page a hiroba_web function answers to a browser: (name, response)
APP_PAGES = {
    "receipt": lambda: pages.receipt_page(RECEIPT, CONSULTATION),
    "comment-errors": lambda: pages.error_page(_validation_problem(), CONSULTATION.url),
    "copy-confirm": lambda: pages.copy_confirm_page(TOKEN, CONSULTATION),
    "copy-sent": lambda: pages.copy_sent_page(True),
    "copy-already-sent": lambda: pages.copy_sent_page(False),
    "copy-refused": lambda: pages.copy_error_page(problems.from_error(CopyLinkInvalid())),
    "newsletter-confirm": lambda: newsletter_pages.confirm_page(TOKEN),
    "newsletter-confirmed": lambda: newsletter_pages.confirmed_page("/api/x?token=1"),
    "newsletter-suppressed": newsletter_pages.suppressed_page,
    "newsletter-preferences": lambda: newsletter_pages.preferences_page(
        TOKEN, SUBSCRIBER, "/api/y"
    ),
    "newsletter-not-subscribed": newsletter_pages.not_subscribed_page,
    "newsletter-saved": newsletter_pages.saved_page,
    "newsletter-unsubscribe": lambda: newsletter_pages.unsubscribe_page(TOKEN),
    "newsletter-unsubscribed": newsletter_pages.unsubscribed_page,
    "newsletter-errors": lambda: pages.error_page(
        _validation_problem(), newsletter_pages.SUBSCRIBE_PAGE, field_id=newsletter_pages.field_id
    ),
    "procedure-status": lambda: procedure_pages.status_page(_view()),
    "procedure-errors": lambda: procedure_pages.error(_inquiry_problem()),
    "procedure-status-unpaid": lambda: procedure_pages.status_page(
        {**_view(), "payment": "unpaid"}, TOKEN
    ),
    "payment-notice": lambda: payment_pages.notice_page(_notice(), {"confirmation": TOKEN}),
    "payment-notice-paid": lambda: payment_pages.notice_page(_notice(paid=True), {}),
    "payment-payeasy": lambda: payment_pages.status_page(_payment()),
    "payment-card": lambda: payment_pages.status_page(_payment(method="card")),
    "payment-checking": lambda: payment_pages.status_page(_payment("submitted", "card")),
    "payment-declined": lambda: payment_pages.status_page(_payment("declined", "card")),
    "payment-cancelled-fee": lambda: payment_pages.status_page(
        _payment("cancelled", "card", payable_kind="application")
    ),
    "payment-paid": lambda: payment_pages.status_page(_payment("success")),
    "payment-receipt": lambda: payment_pages.receipt_page(_payment("success", refunded=400)),
    "payment-errors": lambda: payment_pages.error(
        problems.from_error(
            ValidationFailed(
                [
                    FieldError(
                        "email",
                        "メールアドレスは name@example.jp のように入力してください",
                        "Enter an email address like name@example.jp",
                    )
                ]
            )
        ),
        payment_pages.STATUS_FORM_PAGE,
    ),
    "attachments": _attachments_page,
    "attachments-refused": lambda: _attachments_page(refused=("executable", "2")),
    "attachments-full": lambda: _attachments_page(refused=("kind-full", "2"), full=True),
}
# the online form (電子申請): a draft of 粗大ごみの収集申込 by an agent, with resident text
# that must stay text; a page with every kind of control; errors on each page
APPLY_NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
CATALOGUE = catalogue.load()
SODAI = CATALOGUE["sendai-sodai-gomi"]
KOZA = CATALOGUE["nyusatsu-taimen-yoyaku"]  # a choice, a date and a long text
FEE = CATALOGUE["tomiya-jumin-yuso"]


def _draft(procedure=SODAI, **values):
    return Draft(
        id="d",
        procedure_id=procedure.id,
        dantai=procedure.dantai,
        email="hanako@example.jp",
        code_hash="",
        deadline=APPLY_NOW + apply.drafts.FORM_PAGE,
        state="filling",
        values={"applicant_kind": "代理人", "applicant.name": "宮城 花子<script>", **values},
    )


def _step(procedure, slug, draft=None, errors=()):
    draft = draft or _draft(procedure)
    step = next(s for s in apply.steps_of(procedure, draft) if s.slug == slug)
    return apply_pages.step_page(procedure, draft, step, APPLY_NOW, errors)


def _apply_errors(*fields):
    return [FieldError(f, "入力してください<script>", "Enter it") for f in fields]


def _check():
    draft = _draft(**{"answers.items": "<script>alert(1)</script>"})
    rows = [
        apply.Row(name, name, draft.values.get(name, ""), step.slug)
        for step in apply.steps_of(SODAI, draft)
        for name in step.fields
    ]
    errors = _apply_errors("answers.preferred_date")
    return apply_pages.check_page(SODAI, draft, rows, errors, APPLY_NOW)


def _completed(procedure, fee):
    accepted = applications.Accepted("ACEFGHJKMNPR", "ACEFGHJKMN", procedure, NOW, fee)
    return apply.Completed(accepted, "hanako@example.jp", True)


def _gone(reason):
    from hiroba_core.errors import DraftGone

    return apply_pages.gone_page(problems.from_error(DraftGone(reason)), SODAI.id)


APPLY_PAGES = {
    "apply-start": lambda: apply_pages.start_page(SODAI, None),
    "apply-start-error": lambda: apply_pages.start_page(
        SODAI, None, "a<script>", _apply_errors("email"), 422
    ),
    "apply-code": lambda: apply_pages.code_page(SODAI, _draft(), APPLY_NOW),
    "apply-code-error": lambda: apply_pages.code_page(
        SODAI, _draft(), APPLY_NOW, _apply_errors("code"), 422
    ),
    "apply-verify": lambda: apply_pages.verify_link_page(SODAI, TOKEN),
    "apply-who": lambda: _step(SODAI, "who"),
    "apply-agent-error": lambda: _step(
        SODAI, "agent", errors=_apply_errors("agent.name", "agent.kana")
    ),
    "apply-name": lambda: _step(SODAI, "name", errors=_apply_errors("applicant.kana")),
    "apply-contact": lambda: _step(SODAI, "contact"),
    "apply-choice-error": lambda: _step(
        KOZA, "q-category", errors=_apply_errors("answers.category")
    ),
    "apply-date": lambda: _step(KOZA, "q-preferred_date"),
    "apply-long-text": lambda: _step(KOZA, "q-message"),
    "apply-check": _check,
    "apply-complete": lambda: apply_pages.complete_page(SODAI, _completed(SODAI, 0), None),
    "apply-complete-fee": lambda: apply_pages.complete_page(
        FEE,
        _completed(FEE, 600),
        payment_pages.pay_form({"kind": "application", "reference": "ACEF"}, 600),
    ),
    "apply-saved": lambda: apply_pages.saved_page(SODAI, _draft()),
    "apply-resume": lambda: apply_pages.resume_page(SODAI, TOKEN),
    "apply-timeout": lambda: _gone("timeout"),
    "apply-attempts": lambda: _gone("attempts"),
    "apply-submitted": lambda: _gone("submitted"),
}
APP_PAGES.update(APPLY_PAGES)


def _verdict(valid=True, cause=None, **changes):
    signed_at = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    found = {
        "signer": {
            "common_name": "宮城 花子 <script>",
            "organization": "宮城県",
            "serial": "1A2B3C",
            "issuer": "テスト 中間認証局",
        },
        "signing_time": signed_at,
        "timestamp": signed_at,
        "modified_after_signing": False,
        "chain": ("宮城 花子 <script>", "テスト 中間認証局", "テスト ルート"),
        "trusted_anchor": "テスト ルート",
        "revocation": "good",
        "signatures": 2,
    }
    return Verdict(valid, cause, "pdf", **{**found, **changes})


APP_PAGES |= {
    "signature-valid": lambda: signature_pages.verdict_page(_verdict()),
    "signature-revoked": lambda: signature_pages.verdict_page(
        _verdict(False, "revoked", revocation="revoked")
    ),
    "signature-not-pdf": lambda: signature_pages.verdict_page(Verdict(False, "not-pdf", "pdf")),
    "signature-errors": lambda: signature_pages.error(
        problems.from_error(
            ValidationFailed(
                [
                    FieldError(
                        "signature", "署名ファイルを選んでください", "Choose the signature file"
                    )
                ]
            )
        )
    ),
}
HANDSET_PAGES = {
    "status": lambda: procedure_pages.mobile_status_page(_view()),
    "errors": lambda: procedure_pages.mobile_error(_inquiry_problem()),
}


@pytest.fixture(scope="module")
def site_env():
    return pelican_environment()


@pytest.fixture(scope="module")
def served(tmp_path_factory, site_env):
    """A folder with the site's stylesheet, one page per component example and per app page."""
    folder = tmp_path_factory.mktemp("theme-pages")
    shutil.copytree(ROOT / "theme" / "static", folder / "theme")
    paths = []
    for name, example, params in component_examples():
        if name.startswith("mobile_"):
            continue  # handset markup: checked as XHTML below, not by axe in a desktop page
        body = render(site_env, name, params)
        if name in HEADER_COMPONENTS:  # styled for the header's dark band
            body = f'<div class="hiroba-header">{body}</div>'
        page = templates.render(
            "app/message.html", title=f"{name} {example}", text=f"{name}: {example}"
        ).replace("</main>", f'<section aria-label="{escape(name)}">{body}</section></main>', 1)
        target = folder / "components" / name / example / "index.html"
        target.parent.mkdir(parents=True)
        target.write_text(page, "utf-8")
        paths.append(f"/components/{name}/{example}/")
    for name, answer in APP_PAGES.items():
        target = folder / "app" / name / "index.html"
        target.parent.mkdir(parents=True)
        target.write_text(answer().body, "utf-8")
        paths.append(f"/app/{name}/")
    with gate.serve(folder) as base:
        yield base, paths


@pytest.mark.parametrize(
    ("name", "example", "params"),
    [e for e in component_examples() if e[0] not in SITE_ONLY],
)
def test_every_component_example_is_valid_html_in_the_apps_environment(name, example, params):
    html = render(templates.environment(), name, params)
    assert html.strip()
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(html)


@pytest.mark.parametrize("name", sorted(APP_PAGES))
def test_every_app_page_is_a_page_of_the_site(name):
    response = APP_PAGES[name]()
    html = response.body
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    assert document.find("head/meta[@name='robots']").get("content") == "noindex"
    assert document.find("head/link[@href='/theme/css/hiroba.css']") is not None
    header = document.find("body/header[@class='hiroba-header']")
    assert header.find(".//nav[@class='hiroba-languages']") is not None
    assert "意見募集" in "".join(header.find(".//nav[@class='hiroba-nav']").itertext())
    assert document.find(".//main/section[@class='hiroba-contact']") is not None
    footer = "".join(document.find("body/footer[@class='hiroba-footer']").itertext())
    assert "このサイトについて" in footer and "022-211-2111" in footer
    assert len(document.findall(".//main//h1")) == 1
    assert "<script>" not in html  # the token is text, escaped


def test_error_summaries_link_to_the_fields_of_their_form():
    comments = pages.error_page(_validation_problem(), CONSULTATION.url).body
    assert 'href="/consultations/x/#comment-answer-q1"' in comments
    assert 'href="/consultations/x/#comment-email"' in comments
    newsletter = APP_PAGES["newsletter-errors"]().body
    assert 'href="/newsletter/subscribe/#newsletter-email"' in newsletter
    inquiry = APP_PAGES["procedure-errors"]().body
    assert 'href="/procedures/status/#inquiry-reference"' in inquiry
    refused = APP_PAGES["attachments-refused"]()
    assert refused.status_code == 422 and 'href="#attachment-2"' in refused.body
    assert "プログラム（実行ファイル）は添付できません" in refused.body
    assert "本人確認&lt;script&gt;.pdf" in refused.body
    # its forms post to the bucket: the one origin the page's policy adds
    policy = refused.headers["Content-Security-Policy"]
    assert (
        "form-action 'self' https://hiroba-attachments.s3.ap-northeast-1.amazonaws.com;" in policy
    )
    full = APP_PAGES["attachments-full"]().body
    assert "この書類のファイルは1つまでです" in full and 'enctype="multipart' not in full


def _pay_form(name):
    document = html5lib.parse(APP_PAGES[name]().body, namespaceHTMLElements=False)
    (form,) = [f for f in document.iter("form") if f.get("action").endswith("/payments")]
    fields = {i.get("name"): i for i in form.iter("input") if i.get("type") == "hidden"}
    checked = [i.get("id") for i in form.iter("input") if i.get("checked") is not None]
    labels = {label.get("for") for label in form.iter("label")}
    return form, {k: v.get("value") for k, v in fields.items()}, checked, labels


def test_the_status_and_the_tax_notice_share_one_pay_form():
    """app/payment-form.html on both pages: the method's radios (card chosen), the address
    for the receipt, the fields that name what is paid, and a fresh Idempotency-Key."""
    fee_form, fee, fee_checked, fee_labels = _pay_form("procedure-status-unpaid")
    tax_form, tax, tax_checked, tax_labels = _pay_form("payment-notice")
    assert fee_form.get("action") == tax_form.get("action") == "/api/procedures/payments"
    assert fee_checked == tax_checked == ["pay-method-card"]
    assert fee_labels == tax_labels == {"pay-method-card", "pay-method-payeasy", "pay-email"}
    assert fee == {
        "kind": "application",
        "reference": "ACEF-GHJK-MNPR",
        "inquiry_code": TOKEN,  # the text as typed, escaped in the page
        "idempotency_key": fee["idempotency_key"],
    }
    assert tax == {
        "kind": "tax",
        "notice_number": "4026-0501-0004-5678",
        "confirmation": TOKEN,
        "idempotency_key": tax["idempotency_key"],
    }
    assert len(fee["idempotency_key"]) >= 20 and fee["idempotency_key"] != tax["idempotency_key"]
    button = "".join(next(tax_form.iter("button")).itertext())
    assert button == "25,000円を支払う"
    assert "400円を支払う" in "".join(fee_form.itertext())
    paid = APP_PAGES["payment-notice-paid"]().body
    assert "この税金は納付済みです。" in paid and "/api/procedures/payments" not in paid


def test_payment_pages_show_the_payment():
    payeasy = html5lib.parse(APP_PAGES["payment-payeasy"]().body, namespaceHTMLElements=False)
    numbers = {}
    for row in payeasy.iter("div"):
        if row.get("class") == "hiroba-summary-list__row":
            key, value = row.findall("dt") + row.findall("dd")
            numbers[key.text] = "".join(value.itertext())
    assert numbers["収納機関番号"] == "58021" and numbers["確認番号"] == "493817"
    assert numbers["お支払い期限"].endswith("まで") and numbers["金額"] == "25,000円"
    card = APP_PAGES["payment-card"]().body
    assert 'href="https://sandbox.example/card/x?a=1&amp;b=&lt;2&gt;"' in card
    declined = APP_PAGES["payment-declined"]().body
    assert "承認しませんでした" in declined and 'href="/procedures/pay-tax/"' in declined
    assert 'href="/procedures/status/"' in APP_PAGES["payment-cancelled-fee"]().body
    receipt = APP_PAGES["payment-receipt"]().body
    assert "返金" in receipt and "400円" in receipt and "25,000円" in receipt
    assert "領収の画面を見る" in APP_PAGES["payment-paid"]().body
    errors = APP_PAGES["payment-errors"]().body
    assert 'href="/procedures/status/#pay-email"' in errors


def test_the_preferences_page_shows_the_subscribers_choices():
    html = APP_PAGES["newsletter-preferences"]().body
    document = html5lib.parse(html, namespaceHTMLElements=False)
    checked = {i.get("id") for i in document.iter("input") if i.get("checked") is not None}
    assert checked == {
        "newsletter-topics-bousai",
        "newsletter-topics-event",
        "newsletter-frequency-weekly",
    }
    (chosen,) = [o for o in document.iter("option") if o.get("selected") is not None]
    assert chosen.get("value") == "en" and chosen.get("lang") == "en"


@pytest.mark.parametrize("name", sorted(HANDSET_PAGES))
def test_handset_pages_are_xhtml_basic_from_the_theme(name):
    data = HANDSET_PAGES[name]().body
    text = data.decode(keitai.ENCODING)
    declaration = '<?xml version="1.0" encoding="Shift_JIS"?>\n'
    assert text.startswith(declaration)
    root = ET.fromstring(text.removeprefix(declaration))  # well-formed XML
    xhtml = "{http://www.w3.org/1999/xhtml}"
    tags = {element.tag.removeprefix(xhtml) for element in root.iter()}
    assert not tags & {"hr", "script", "style", "img"}, tags
    assert not any("lang" in element.attrib for element in root.iter())
    keys = [a.get("accesskey") for a in root.iter(f"{xhtml}a")]
    assert keys == ["9", "0"]
    assert "ポケットみやぎ" in root.find(f"{xhtml}head/{xhtml}title").text
    assert "022-211-2111" in text


def test_components_and_app_pages_pass_the_accessibility_gate(browser, served):
    base, paths = served
    result = gate.audit(browser, base, paths, widths=gate.WIDTHS)
    assert result.pages == paths and len(paths) > len(APP_PAGES) + 20
    assert not result.findings, "\n".join(map(str, result.findings))
    assert result.reflow_failures == [], result.reflow_failures
    assert result.csp_violations == []

"""Every route of the console, enumerated from the Chalice app: each one is either public
(the sign-in pages) or guarded, and each guarded one refuses another 団体's data (404) and
another department's (403). A new route without a case here fails the first test."""

import json
import subprocess
import sys

import pytest

from infra.local.stack import ROOT

from .test_console import applied_to
from .test_dantai_applications import SENDAI
from .test_procedures_api import body

# what every app answers (hiroba_web.meta): no data of anyone
META = {("GET", "/health"), ("GET", "/openapi.json")}
PUBLIC = {
    ("GET", "/staff/sign-in"),
    ("POST", "/staff/sign-in"),
    ("GET", "/staff/sign-in/code"),
    ("POST", "/staff/sign-in/code"),
}


def routes():
    """{(method, path): guard} of the console app, as Chalice registered them."""
    probe = (
        "import app, json; print(json.dumps([[m, p, getattr(e.view_function, 'hiroba_guard',"
        " 'MISSING')] for p, ms in app.app.routes.items() for m, e in ms.items()]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT / "functions" / "console",
        capture_output=True,
        text=True,
        check=True,
        env={"HIROBA_PACKAGING": "1", "PATH": ""},
    )
    return {(m, p): guard for m, p, guard in json.loads(result.stdout)}


def _record(client, method, path, reference, form=None):
    target = path.replace("{reference}", reference)
    if method == "GET":
        return client.get(target)
    page = client.get("/staff/")  # the CSRF token of the member's own session
    return client.post(target, {"csrf": page.csrf(), "version": "1", **(form or {})})


def _application(stack, signed_in, method, path, form=None):
    prefectural = applied_to(stack, body())  # 宮城県, 税務課
    municipal = applied_to(stack, SENDAI)  # 仙台市, 区民課
    assert _record(signed_in("sendai-admin"), method, path, prefectural, form).status == 404
    assert _record(signed_in("miyagi-admin"), method, path, municipal, form).status == 404
    assert _record(signed_in("keiyaku-staff"), method, path, prefectural, form).status == 403
    assert _record(signed_in("gomi-staff"), method, path, municipal, form).status == 403


def _list(stack, signed_in, method, path):
    assert signed_in("sendai-admin").get(path + "?procedure=nozei-shomei").status == 404
    assert signed_in("miyagi-admin").get(path + "?procedure=sendai-sodai-gomi").status == 404
    assert signed_in("keiyaku-staff").get(path + "?procedure=nozei-shomei").status == 403
    assert signed_in("gomi-staff").get(path + "?procedure=sendai-jumin-yuso").status == 403


def _home(stack, signed_in, method, path):
    # the procedures offered are the member's own 団体's and department's only
    assert "nozei-shomei" not in signed_in("sendai-admin").get(path).text
    assert "sendai-sodai-gomi" not in signed_in("miyagi-admin").get(path).text
    keiyaku = signed_in("keiyaku-staff").get(path).text
    assert "nyusatsu-taimen-yoyaku" in keiyaku and "nozei-shomei" not in keiyaku


def _audit(stack, signed_in, method, path):
    signed_in("zeimu-kacho")  # a sign-in of 宮城県 is in its trail
    assert "zeimu-kacho" in signed_in("miyagi-admin").get(path).text
    assert "zeimu-kacho" not in signed_in("sendai-admin").get(path).text
    assert signed_in("zeimu-kacho").get(path).status == 403  # not an admin
    assert signed_in("gomi-staff").get(path).status == 403


def _sign_out(stack, signed_in, method, path):
    # ends the caller's own session only: nothing of anyone else's is reachable through it
    from .console_client import Console

    mine = Console(stack.apps["console"].url)
    mine.sign_in("gomi-kakaricho", stack.staff_pool.password)
    other = signed_in("sendai-admin")
    assert mine.post(path, {"csrf": mine.get("/staff/").csrf()}).status == 200
    assert other.get("/staff/").status == 200


def _a_comment(stack):
    from hiroba_core.store.publishing import PublishingStore

    from .conftest import Api, valid

    reply = Api(stack.apps["publishing"].url).comment("open-one", valid(name="宮城 太郎"))
    assert reply.status in (200, 201), reply
    comments = PublishingStore(stack.settings()).list_comments("open-one")
    return comments[-1].id


def _comments(stack, signed_in, method, path, form=None):
    """Consultations are 宮城県's; open-one is 情報政策課's (johoseisaku)."""
    target = path.replace("{consultation_id}", "open-one")
    if "{comment_id}" in target:
        target = target.replace("{comment_id}", _a_comment(stack))

    def call(client):
        if method == "GET":
            return client.get(target)
        page = client.get("/staff/")
        return client.post(target, {"csrf": page.csrf(), "version": "1", **(form or {})})

    assert call(signed_in("sendai-admin")).status == 404
    assert call(signed_in("keiyaku-staff")).status == 403
    if method == "POST":
        assert call(signed_in("zeimu-viewer")).status in (403, 404)


def _consultation_list(stack, signed_in, method, path):
    assert "open-one" not in signed_in("sendai-admin").get(path).text
    assert "open-one" not in signed_in("keiyaku-staff").get(path).text
    assert "open-one" in signed_in("miyagi-admin").get(path).text


def _a_payment(stack):
    """A paid card payment of 宮城県's 税務課 (zeimu)."""
    from .conftest import Api
    from .test_payments import _paid

    procedures, sandbox = Api(stack.apps["procedures"].url), Api(stack.sandbox.url)
    return _paid(procedures, sandbox)["payment_id"]


def _payment(stack, signed_in, method, path, form=None):
    pid = _a_payment(stack)
    target = path.replace("{payment_id}", pid)

    def call(client):
        if method == "GET":
            found = client.get(target)
            if "?" in target:  # the search: straight to the payment's page, refused there
                assert found.status == 303, found
                found = client.get(found.location)
            return found
        page = client.get("/staff/")
        form_data = {"idempotency_key": "console-route-test", "amount": "1", "reason": "x"}
        return client.post(target, {"csrf": page.csrf(), **form_data})

    assert call(signed_in("sendai-admin")).status == 404
    assert call(signed_in("keiyaku-staff")).status == 403


def _reconciliation(stack, signed_in, method, path):
    """Only the member's own 団体, and their department unless an admin."""
    from datetime import datetime

    from hiroba_core.dates import JST

    pid = _a_payment(stack)
    query = f"?date={datetime.now(JST).date().isoformat()}"
    assert signed_in("miyagi-admin").get(path + query).text.count(pid) >= 1
    assert pid not in signed_in("sendai-admin").get(path + query).text
    assert pid not in signed_in("keiyaku-staff").get(path + query).text
    assert signed_in("keiyaku-staff").get(path + query + "&department=zeimu").status == 403
    assert signed_in("gomi-staff").get(path + query + "&department=kumin").status == 403


def _newsletter(stack, signed_in, method, path):
    """The newsletter is 宮城県's, its 広報課's (koho): 仙台市 finds none, 税務課 is refused."""
    from .test_console_newsletter import built_issue

    target = path.replace("{issue_id}", built_issue(stack))

    def call(client):
        if method == "GET":
            return client.get(target)
        return client.post(target, {"csrf": client.get("/staff/").csrf()})

    assert call(signed_in("sendai-admin")).status == 404
    assert call(signed_in("zeimu-kacho")).status == 403  # an approver, of another department
    assert call(signed_in("zeimu-staff")).status == 403


GUARDED = {
    ("GET", "/staff/newsletter"): _newsletter,
    ("GET", "/staff/newsletter/issues/{issue_id}"): _newsletter,
    ("GET", "/staff/newsletter/issues/{issue_id}/send"): _newsletter,
    ("POST", "/staff/newsletter/issues/{issue_id}/send"): _newsletter,
    ("GET", "/staff/payments"): lambda s, si, m, p: _payment(
        s, si, m, p + "?payment_id={payment_id}"
    ),
    ("GET", "/staff/payments/{payment_id}"): _payment,
    ("POST", "/staff/payments/{payment_id}/refunds"): _payment,
    ("GET", "/staff/reconciliation"): _reconciliation,
    ("GET", "/staff/reconciliation.csv"): _reconciliation,
    ("GET", "/staff/consultations"): _consultation_list,
    ("GET", "/staff/consultations/{consultation_id}"): _comments,
    ("GET", "/staff/consultations/{consultation_id}/export.csv"): _comments,
    ("GET", "/staff/consultations/{consultation_id}/results"): _comments,
    ("GET", "/staff/consultations/{consultation_id}/results.md"): _comments,
    ("POST", "/staff/consultations/{consultation_id}/comments/{comment_id}/visibility"): (
        lambda *a: _comments(*a, form={"hidden": "1"})
    ),
    ("POST", "/staff/consultations/{consultation_id}/comments/{comment_id}/response"): (
        lambda *a: _comments(*a, form={"response": "県の考え方です"})
    ),
    ("GET", "/staff"): _home,
    ("GET", "/staff/audit"): _audit,
    ("GET", "/staff/audit.csv"): _audit,
    ("POST", "/staff/sign-out"): _sign_out,
    ("GET", "/staff/applications"): _list,
    ("GET", "/staff/applications/{reference}"): _application,
    ("POST", "/staff/applications/{reference}/status"): lambda *a: _application(
        *a, form={"status": "accepted"}
    ),
    ("POST", "/staff/applications/{reference}/proposal"): lambda *a: _application(
        *a, form={"status": "rejected"}
    ),
    ("POST", "/staff/applications/{reference}/approval"): _application,
    ("POST", "/staff/applications/{reference}/correction"): lambda *a: _application(
        *a, form={"note": "直してください"}
    ),
}


def test_every_route_is_public_by_intent_or_guarded_and_has_a_case():
    found = routes()
    assert found, "no routes found"
    missing = [r for r, guard in found.items() if guard == "MISSING" and r not in META]
    assert not missing, f"routes without @guarded or @public: {missing}"
    public = {route for route, guard in found.items() if guard is None}
    assert public == PUBLIC
    guarded = set(found) - public - META
    assert guarded == set(GUARDED), f"write a case for: {guarded - set(GUARDED)}"


@pytest.mark.parametrize("route", sorted(GUARDED))
def test_another_dantai_or_department_gets_nothing(route, stack, signed_in):
    method, path = route
    GUARDED[route](stack, signed_in, method, path)

"""Staff endpoints behind JWT, the CSV export, and the CLIs that write content."""

import csv
import io
import json
import subprocess
import sys
import time

import pytest

from infra.local.stack import ROOT

from .conftest import valid
from .test_api import problem

LIST = "/staff/consultations/open-one/comments"


def run_tool(stack, *args, env=None):
    result = subprocess.run(
        [sys.executable, "-m", "infra.tools", *args],
        cwd=ROOT,
        env={**stack.env(), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_missing_token_is_401(api):
    data = problem(api.request("GET", LIST), "unauthorized", 401)
    assert "missing" in data["detail_en"]


def test_expired_token_is_401(api, staff_token):
    token = staff_token(ttl=60, now=time.time() - 3600)
    data = problem(api.request("GET", LIST, headers=auth(token)), "unauthorized", 401)
    assert "expired" in data["detail_en"]


@pytest.mark.parametrize("token", ["not.a.jwt", "Basic abc"])
def test_garbage_token_is_401(api, token):
    headers = {"Authorization": token if token.startswith("Basic") else f"Bearer {token}"}
    problem(api.request("GET", LIST, headers=headers), "unauthorized", 401)


def test_token_signed_with_another_key_is_401(api):
    from hiroba_core import tokens

    forged = tokens.mint(
        "another-secret-that-is-long-enough-for-hs256", "mallory", "admin", "johoseisaku"
    )
    problem(api.request("GET", LIST, headers=auth(forged)), "unauthorized", 401)


def test_wrong_role_is_403(api, staff_token):
    problem(api.request("GET", LIST, headers=auth(staff_token(role="guest"))), "forbidden", 403)
    # a viewer reads, and may not moderate
    viewer = auth(staff_token(role="viewer"))
    assert api.request("GET", LIST, headers=viewer).status == 200
    path = LIST + "/nothing/visibility"
    reply = api.request("PUT", path, {"hidden": True, "version": 1}, headers=viewer)
    problem(reply, "forbidden", 403)


def test_another_dantai_is_404(api, staff_token):
    # consultations are 宮城県's: an admin of 仙台市 does not learn they exist
    sendai_admin = auth(staff_token(role="admin", department="", dantai="041009"))
    problem(api.request("GET", LIST, headers=sendai_admin), "not-found", 404)


def test_other_department_is_403_but_admin_may(api, staff_token):
    other = staff_token(department="doboku")
    problem(api.request("GET", LIST, headers=auth(other)), "forbidden", 403)
    admin = staff_token(role="admin", department="doboku")
    assert api.request("GET", LIST, headers=auth(admin)).status == 200


def test_csv_export_is_utf8_with_bom(api, staff_token):
    api.comment("open-one", valid(name="宮城 太郎", address="石巻市"))
    reply = api.request("GET", LIST + "/export.csv", headers=auth(staff_token()))
    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert reply.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(reply.body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["受付番号", "受付日時", "状態"]
    assert rows[0][-1] == "県の考え方"
    assert any("宮城 太郎" in row for row in rows[1:])


def test_hide_respond_and_publish_results(api, staff_token, stack, tmp_path):
    token = auth(staff_token())
    spam = api.comment("open-one", {"answers": {"q1": "広告です http://spam.example"}})
    good = api.comment(
        "open-one",
        valid(name="非公開 太郎", email="secret@example.jp")
        | {"answers": {"q1": "多言語化に賛成です。"}},
    )
    comments = api.request("GET", LIST, headers=token).json()["comments"]
    by_receipt = {c["receipt_number"]: c for c in comments}
    spam_c = by_receipt[spam.json()["receipt_number"]]
    good_c = by_receipt[good.json()["receipt_number"]]
    base = f"{LIST}/{spam_c['id']}"
    hidden = api.request("PUT", base + "/visibility", {"hidden": True, "version": 1}, token)
    assert hidden.json()["status"] == "hidden"
    stale = api.request("PUT", base + "/visibility", {"hidden": False, "version": 1}, token)
    problem(stale, "version-conflict", 409)
    refused = api.request("PUT", base + "/response", {"response": "回答", "version": 2}, token)
    problem(refused, "invalid-transition", 409)
    answered = api.request(
        "PUT",
        f"{LIST}/{good_c['id']}/response",
        {"response": "ご意見を踏まえて進めます。", "version": 1},
        token,
    )
    assert answered.json()["status"] == "answered", answered
    problem(
        api.request(
            "PUT", f"{LIST}/{good_c['id']}/response", {"response": "", "version": 2}, token
        ),
        "validation",
        422,
    )
    run_tool(stack, "--content", str(tmp_path), "results", "open-one")
    text = (tmp_path / "consultations" / "results" / "open-one-kekka.md").read_text("utf-8")
    assert "多言語化に賛成です。" in text and "ご意見を踏まえて進めます。" in text
    assert "spam.example" not in text
    assert "secret@example.jp" not in text and "非公開" not in text


def test_indicator_open_data(api, stack, tmp_path):
    api.comment("open-one", valid())
    run_tool(stack, "--content", str(tmp_path), "indicator", env={"HIROBA_NOW": ""})
    data = json.loads(
        (tmp_path / "documents/open-data/public-comment-submitters.json").read_text("utf-8")
    )
    assert (data["baseline"], data["target"]) == (23, 30)
    rows = {r["id"]: r for r in data["consultations"]}
    assert "chiji-eno-teian" not in rows
    assert rows["open-one"]["state"] == "open" and rows["open-one"]["submitters"] >= 1
    assert rows["closed-one"]["submitters"] == 0
    # other tests of this worker's stack may have closed consultations of their own
    closed = [r["submitters"] for r in data["consultations"] if r["state"] == "closed"]
    assert data["average_per_closed_case"] == round(sum(closed) / len(closed), 1)
    raw = (tmp_path / "documents/open-data/public-comment-submitters.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "意見提出者・団体数" in raw.decode("utf-8-sig")
    page = (tmp_path / "consultations" / "indicator.md").read_text("utf-8")
    assert "Slug: indicator" in page and "23人・団体から30人・団体" in page


def test_token_cli_mints_a_working_token(api, stack):
    token = run_tool(stack, "token", "--department", "johoseisaku").strip()
    assert api.request("GET", LIST, headers=auth(token)).status == 200

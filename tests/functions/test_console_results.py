"""Publishing a consultation's results (意見募集の結果) from the console: the counts, the
answered comments with 県の考え方, and the Markdown page an editor commits — residents'
text escaped so it shows as typed, no personal data, only once the consultation closed."""

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hiroba_core.store.publishing import PublishingStore

from .conftest import Api, valid

ATTACK = '<script>alert(1)</script> [罠](javascript:alert(1)) {: onclick="x"}'


def test_results_of_a_closed_consultation_as_the_page_an_editor_commits(stack, signed_in):
    store = PublishingStore(stack.settings())
    slug = f"results-{time.time_ns()}"
    now = datetime.now(UTC)
    consultation = replace(
        store.get_consultation("open-one"),
        id=slug,
        title="結果のテスト",
        url=f"/consultations/{slug}/",
    )
    store.save_consultation(consultation)
    api = Api(stack.apps["publishing"].url)
    for text, name in ((ATTACK, "宮城 太郎"), ("広告です", None), ("賛成です。", None)):
        body = valid(**({"name": name} if name else {})) | {"answers": {"q1": text}}
        assert api.comment(slug, body).status in (200, 201)
    attack, spam, plain = sorted(store.list_comments(slug), key=lambda c: c.created_at)
    admin = signed_in("miyagi-admin")
    page_path = f"/staff/consultations/{slug}"
    response = "ご意見を踏まえ、案を修正します。"
    base = f"{page_path}/comments"
    assert (
        admin.act(
            f"{base}/{attack.id}/response", {"response": response, "version": 1}, page_path
        ).status
        == 303
    )
    assert (
        admin.act(f"{base}/{spam.id}/visibility", {"hidden": "1", "version": 1}, page_path).status
        == 303
    )
    # still open: the page says so and there is no file yet
    early = admin.get(page_path + "/results")
    assert early.status == 200 and "まだ終わっていません" in early.text
    assert admin.get(page_path + "/results.md").status == 409
    store.save_consultation(replace(consultation, closes_at=now - timedelta(minutes=1)))
    shown = admin.get(page_path + "/results")
    assert shown.status == 200 and response in shown.text
    assert "&lt;script&gt;" in shown.text and "<script>alert" not in shown.text
    assert "宮城 太郎" not in shown.text
    exported = admin.get(page_path + "/results.md")
    assert exported.status == 200
    assert dict(exported.headers)["Content-Type"].startswith("text/markdown")
    text = exported.text
    assert text.startswith("Title: 結果のテスト") and f"Slug: {slug}-kekka" in text
    assert "ご意見をいただいた件数は2件です" in text  # the hidden one is not an opinion
    assert "掲載するものは1件です" in text and response in text
    assert "&lt;script\\>" in text and "<script>" not in text and "\\[罠\\]" in text
    assert "宮城 太郎" not in text and "広告です" not in text and "賛成です。" not in text
    assert plain.answers["q1"] == "賛成です。"  # unanswered: not published
    trail = signed_in("miyagi-admin").get("/staff/audit").text
    assert f"{slug}</td><td>意見募集の結果" in trail
    # another department: refused (the route test covers another 団体)
    assert signed_in("keiyaku-staff").get(page_path + "/results.md").status == 403

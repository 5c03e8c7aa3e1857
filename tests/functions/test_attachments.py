"""Attachments (issue #13 item 7) against the real stack: the procedures app over HTTP, and
the files posted as multipart/form-data to the S3 of the moto server (the same one as
DynamoDB) with the presigned POST the app hands out, then S3's redirect followed back to the
app, which checks each file. moto enforces none of the policy, so what is refused here is
refused by the app's own check."""

import base64
import http.client
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from hiroba_core import catalogue, ids
from hiroba_core.domain.draft import FILLING, Draft
from hiroba_core.domain.procedure import Attachment
from hiroba_core.errors import NotFound
from hiroba_core.services import attachments
from hiroba_core.store.attachments import AttachmentStore
from hiroba_core.store.procedures import ProceduresStore

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + bytes(200) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100)
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(300)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(300)
TEXT = "申請書の本文です。".encode()
TOO_BIG = PDF + bytes(attachments.MAX_BYTES + 1 - len(PDF))
# 県営住宅の入居申込み: one document, up to three files; 住民票の写しの郵送請求 (仙台市): two
THREE = "kenei-jutaku-moshikomi"
SENDAI = "sendai-jumin-yuso"
API = "/api/procedures"
WITHOUT_ATTACHMENTS = next(p.id for p in catalogue.load(None).values() if not p.attachments)


@pytest.fixture(scope="module")
def store(stack):
    return AttachmentStore(stack.settings())


@pytest.fixture(scope="module")
def procedures_catalogue(stack):
    return catalogue.load(stack.settings().procedures_catalogue)


@pytest.fixture(scope="module", autouse=True)
def draft_store(stack):
    global DRAFTS
    DRAFTS = ProceduresStore(stack.settings())
    return DRAFTS


def new_draft(procedure_id=THREE):
    """A draft of the online form for `procedure_id` whose address is verified (its table
    item, as after the code): the id its cookie carries."""
    return verified_draft(DRAFTS, procedure_id)


def verified_draft(store, procedure_id):
    procedure = catalogue.load(None)[procedure_id]
    draft = Draft(
        id=secrets.token_urlsafe(32),
        procedure_id=procedure.id,
        dantai=procedure.dantai,
        email="hanako@example.jp",
        code_hash="",
        deadline=datetime.now(UTC) + timedelta(days=1),
        state=FILLING,
    )
    store.create_draft(draft)
    return draft.id


def cookie(draft):
    return {"Cookie": f"hiroba-draft={draft}", "Accept": "application/json"}


def multipart(fields, name, data):
    """A browser's form post: the policy's fields, then the file last."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_to_bucket(form, name, data):
    """POST the file to the presigned URL; S3's 303 Location (back to the app)."""
    target = urlsplit(form["url"])
    body, content_type = multipart(form["fields"], name, data)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    connection.request("POST", target.path, body, {"Content-Type": content_type})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 303, response.status
    return response.getheader("Location")


def page(procedures, pid, draft):
    reply = procedures.request("GET", f"/attachments/{pid}", headers=cookie(draft))
    assert reply.status == 200, reply
    return reply.json()


def upload(procedures, pid, draft, kind, name, data):
    """The whole round: the form from the app, the file to S3, S3's redirect to the app."""
    (document,) = [d for d in page(procedures, pid, draft)["documents"] if d["kind"] == kind]
    location = urlsplit(post_to_bucket(document["form"], name, data))
    assert location.path == f"{API}/attachments/{pid}/uploaded"
    return procedures.request(
        "GET", f"/attachments/{pid}/uploaded?{location.query}", headers=cookie(draft)
    )


def keys(store, prefix):
    return [o.key for o in store.list(prefix)]


def test_the_upload_form_is_a_presigned_post_bounded_by_its_policy(procedures, stack):
    draft = new_draft()
    before = datetime.now(UTC)
    documents = page(procedures, THREE, draft)["documents"]
    assert [(d["kind"], d["count"], d["remaining"], d["required"]) for d in documents] == [
        ("1", 3, 3, True)
    ]
    form = documents[0]["form"]
    assert urlsplit(form["url"]).path == "/hiroba-attachments"
    fields = form["fields"]
    assert fields["Content-Type"] == "application/octet-stream"
    landing = f"{stack.settings().site_url}{API}/attachments/{THREE}/uploaded"
    assert fields["success_action_redirect"] == landing
    prefix = f"drafts/040002/{draft}/incoming/1/"
    assert fields["key"].startswith(prefix) and fields["key"].endswith("/${filename}")
    assert "x-amz-signature" in fields and fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 0, 10 * 1024 * 1024] in conditions
    assert {"Content-Type": "application/octet-stream"} in conditions
    assert {"success_action_redirect": landing} in conditions
    assert {"bucket": "hiroba-attachments"} in conditions
    assert ["starts-with", "$key", fields["key"].removesuffix("${filename}")] in conditions
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert before + timedelta(minutes=89) < expires <= datetime.now(UTC) + timedelta(minutes=90)
    # another draft, another prefix; another upload form, another file id
    other = page(procedures, THREE, new_draft())["documents"][0]["form"]["fields"]["key"]
    again = page(procedures, THREE, draft)["documents"][0]["form"]["fields"]["key"]
    assert not other.startswith(prefix) and again != fields["key"] and again.startswith(prefix)


def test_a_pdf_a_jpeg_and_a_png_are_kept_with_the_type_of_their_bytes(procedures, store):
    draft = new_draft()
    names = []
    for name, data in (("申請書.pdf", PDF), ("住民票.jpg", JPEG), ("scan.pdf", PNG)):
        reply = upload(procedures, THREE, draft, "1", name, data)
        assert reply.status == 201, reply
        names.append(reply.json()["name"])
    assert names == ["申請書.pdf", "住民票.jpg", "scan.pdf.png"]  # the name says what it is
    listed = page(procedures, THREE, draft)
    assert [(f["type"], f["size"]) for f in listed["files"]] == [
        ("application/pdf", len(PDF)),
        ("image/jpeg", len(JPEG)),
        ("image/png", len(PNG)),
    ]
    assert listed["documents"][0]["remaining"] == 0 and listed["documents"][0]["form"] is None
    assert listed["missing"] == []
    stored = keys(store, f"drafts/040002/{draft}/")
    assert len(stored) == 3 and all("/files/1/" in k for k in stored)  # nothing left unchecked
    head = store.s3.head_object(Bucket=store.bucket, Key=stored[2])
    assert head["ContentType"] == "image/png" and head["ContentDisposition"] == "attachment"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("大きすぎる.pdf", TOO_BIG, "ファイルが大きすぎます。10MB以下のファイルにしてください"),
        ("申請書.pdf", TEXT, "PDF、JPEG、PNGのファイルを選んでください"),
        ("申請書.pdf", WINDOWS_EXE, "プログラム（実行ファイル）は添付できません"),
        ("scan.png", ELF, "プログラム（実行ファイル）は添付できません"),
        ("", PDF, "ファイルを選んでから「アップロードする」を押してください"),
    ],
    ids=["too-big", "wrong-type", "renamed-windows-executable", "renamed-elf", "no-file"],
)
def test_a_refused_file_is_deleted_and_the_reason_given(procedures, store, name, data, reason):
    draft = new_draft()
    reply = upload(procedures, THREE, draft, "1", name, data)
    assert reply.status == 422, reply
    assert reply.headers["content-type"].startswith("application/problem+json")
    problem = reply.json()
    (error,) = problem["errors"]
    assert error["field"] == "attachments.1"
    assert error["message"].startswith(reason) and error["message_en"]
    assert keys(store, f"drafts/040002/{draft}/") == []  # nothing kept
    assert page(procedures, THREE, draft)["files"] == []


def test_more_files_of_a_document_than_the_procedure_asks_for_are_refused(procedures, store):
    draft = new_draft(SENDAI)
    assert upload(procedures, SENDAI, draft, "1", "本人確認.pdf", PDF).status == 201
    documents = page(procedures, SENDAI, draft)["documents"]
    assert documents[0]["form"] is None and documents[1]["form"] is not None
    # a form opened before the first file was added: the same document once more
    form = attachments.upload_form(
        store,
        attachments.Draft("041009", draft, catalogue.load(None)[SENDAI]),
        "1",
        f"http://127.0.0.1{API}/attachments/{SENDAI}/uploaded",
    )
    location = urlsplit(post_to_bucket(form, "もう一枚.pdf", PDF))
    reply = procedures.request(
        "GET", f"/attachments/{SENDAI}/uploaded?{location.query}", headers=cookie(draft)
    )
    assert reply.status == 422
    assert reply.json()["errors"][0]["message"].startswith("この書類のファイルは1つまでです")
    assert len(keys(store, f"drafts/041009/{draft}/")) == 1


def test_a_sixth_file_is_refused(store, procedures_catalogue):
    """Five files in all, whatever the documents (a procedure asking for five of one)."""
    procedure = procedures_catalogue[THREE]
    five = type(procedure)(**{**procedure.__dict__, "attachments": (Attachment("写真", 5),)})
    draft = attachments.Draft("040002", new_draft(), five)
    for n in range(5):
        key = f"{draft.prefix}incoming/1/{ids.new_id()}/photo{n}.png"
        store.s3.put_object(Bucket=store.bucket, Key=key, Body=PNG)
        attachments.check(store, draft, key)
    sixth = f"{draft.prefix}incoming/1/{ids.new_id()}/photo6.png"
    store.s3.put_object(Bucket=store.bucket, Key=sixth, Body=PNG)
    with pytest.raises(attachments.AttachmentRefused) as refused:
        attachments.check(store, draft, sixth)
    assert refused.value.reason == "too-many"
    assert refused.value.errors[0].message.startswith("添付できるファイルは合わせて5つまでです")
    assert len(keys(store, draft.prefix)) == 5 and sixth not in keys(store, draft.prefix)


def test_the_resident_deletes_a_file_of_their_draft(procedures, store):
    draft = new_draft()
    kept = upload(procedures, THREE, draft, "1", "a.pdf", PDF).json()
    other = new_draft()
    upload(procedures, THREE, other, "1", "b.pdf", PDF)
    # another draft's cookie cannot name this file
    refused = procedures.request(
        "POST", f"/attachments/{THREE}/delete", {"file": kept["id"]}, headers=cookie(other)
    )
    assert refused.status == 404
    assert len(page(procedures, THREE, draft)["files"]) == 1
    reply = procedures.request(
        "POST", f"/attachments/{THREE}/delete", {"file": kept["id"]}, headers=cookie(draft)
    )
    assert reply.status == 200 and reply.json() == {"deleted": kept["id"]}
    assert page(procedures, THREE, draft)["files"] == []
    assert keys(store, f"drafts/040002/{draft}/") == []
    assert len(page(procedures, THREE, other)["files"]) == 1
    again = procedures.request(
        "POST", f"/attachments/{THREE}/delete", {"file": kept["id"]}, headers=cookie(draft)
    )
    assert again.status == 404


def test_a_key_of_another_draft_or_dantai_is_not_found_and_left_alone(procedures, store):
    mine, theirs = new_draft(), new_draft()
    (document,) = page(procedures, THREE, theirs)["documents"]
    location = urlsplit(post_to_bucket(document["form"], "theirs.pdf", PDF))
    query = parse_qs(location.query)
    their_key = query["key"][0]
    # their upload's redirect, followed with my draft: not mine, untouched
    reply = procedures.request(
        "GET", f"/attachments/{THREE}/uploaded?{location.query}", headers=cookie(mine)
    )
    assert reply.status == 404 and reply.headers["content-type"].startswith("application/problem")
    assert their_key in keys(store, f"drafts/040002/{theirs}/")
    # the same draft id under a procedure of another 団体 (仙台市): another prefix
    sendai = procedures.request(
        "GET", f"/attachments/{SENDAI}/uploaded?{location.query}", headers=cookie(theirs)
    )
    assert sendai.status == 404
    assert their_key in keys(store, f"drafts/040002/{theirs}/")
    procedure = catalogue.load(None)[SENDAI]
    with pytest.raises(NotFound):
        attachments.Draft("040002", theirs, procedure)  # a draft is its procedure's 団体's
    with pytest.raises(NotFound):
        attachments.check(store, attachments.Draft("041009", theirs, procedure), their_key)
    # another bucket, an unknown procedure, a procedure the draft is not of: 404; no draft
    # cookie or a made-up id: the form's own answer, gone (410)
    other_bucket = location.query.replace("hiroba-attachments", "hiroba-documents")
    for path, headers, status in (
        (f"/attachments/{THREE}/uploaded?{other_bucket}", cookie(theirs), 404),
        ("/attachments/no-such-procedure", cookie(theirs), 404),
        (f"/attachments/{WITHOUT_ATTACHMENTS}", cookie(theirs), 404),
        (f"/attachments/{THREE}/uploaded?{location.query}", {"Accept": "application/json"}, 410),
        (f"/attachments/{THREE}", cookie("../../documents"), 410),
    ):
        assert procedures.request("GET", path, headers=headers).status == status, path
    # and theirs is still theirs to check
    assert (
        procedures.request(
            "GET", f"/attachments/{THREE}/uploaded?{location.query}", headers=cookie(theirs)
        ).status
        == 201
    )


def test_submitted_files_move_under_the_reference(procedures, store):
    draft = new_draft(SENDAI)
    upload(procedures, SENDAI, draft, "1", "本人確認.jpg", JPEG)
    upload(procedures, SENDAI, draft, "2", "委任状.pdf", PDF)
    # an upload never brought back to the app (the resident closed the browser): not moved
    (document,) = [d for d in page(procedures, SENDAI, draft)["documents"] if d["form"]] or [None]
    assert document is None
    stray = f"drafts/041009/{draft}/incoming/1/{ids.new_id()}/stray.pdf"
    store.s3.put_object(Bucket=store.bucket, Key=stray, Body=PDF)
    procedure = catalogue.load(None)[SENDAI]
    ref = "ACEFGHJKMNPR"
    moved = attachments.move_to_application(
        store, attachments.Draft("041009", draft, procedure), ref
    )
    assert [(m["kind_label"], m["name"], m["type"]) for m in moved] == [
        ("本人確認書類の写し（マイナンバーカード、運転免許証など）", "本人確認.jpg", "image/jpeg"),
        ("委任状（代理人が請求するとき）", "委任状.pdf", "application/pdf"),
    ]
    assert all(m["key"].startswith(f"applications/041009/{ref}/") for m in moved)
    assert keys(store, f"drafts/041009/{draft}/") == []
    data = store.s3.get_object(Bucket=store.bucket, Key=moved[1]["key"])["Body"].read()
    assert data == PDF
    # again (a retried submit): the same files, nothing doubled
    again = attachments.move_to_application(
        store, attachments.Draft("041009", draft, procedure), ref
    )
    assert again == moved
    assert attachments.for_application(store, procedure, ref) == moved
    with pytest.raises(NotFound):
        attachments.application_prefix("041009", "../040002")


def test_the_upload_page_lets_its_forms_post_only_to_the_bucket(procedures, stack):
    draft = new_draft(SENDAI)
    upload(procedures, SENDAI, draft, "1", "本人確認.pdf", PDF)
    reply = procedures.request(
        "GET",
        f"/attachments/{SENDAI}",
        headers={"Cookie": f"hiroba-draft={draft}", "Accept": "text/html"},
    )
    assert reply.status == 200
    html = reply.text()
    endpoint = stack.settings().s3_endpoint
    policy = reply.headers["content-security-policy"]
    assert f"form-action 'self' {endpoint};" in policy
    assert f'action="{endpoint}/hiroba-attachments"' in html
    assert 'enctype="multipart/form-data"' in html and 'name="policy"' in html
    assert "本人確認.pdf" in html and "削除する" in html
    # every other answer keeps the site's policy
    other = procedures.request("GET", "/health")
    assert "form-action 'self';" in other.headers["content-security-policy"]

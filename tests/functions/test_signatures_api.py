"""Signatures over HTTP against the local stack: a procedure that requires a signature
refuses each bad one with its own problem type; POST /signatures/verify gives the same
verdicts; a completed 納税証明書 application yields a signed PDF in the private bucket that
the applicant downloads with the inquiry code and that verifies as valid; the KMS signer
signs through moto's KMS over HTTP."""

import base64
import html
import io
import logging
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader

from hiroba_core import catalogue
from hiroba_core.errors import DocumentExpired, NotFound
from hiroba_core.services import documents as document_service
from hiroba_core.signatures import kms, signer, verify
from hiroba_core.store.documents import DocumentStore, document_key
from hiroba_core.store.procedures import ProceduresStore
from infra.local import test_ca
from tests.signing_pki import asn1_cert, tampered

from .conftest import Api, settings_for
from .test_api import problem
from .test_procedures_api import BROWSER, applied, auth, body, fields, inquire

SIGNED = {
    "procedure": "kojin-joho-kaiji",
    "applicant": {
        "name": "宮城 花子",
        "kana": "みやぎ はなこ",
        "postal_code": "980-8570",
        "address": "仙台市青葉区本町三丁目8番1号",
        "phone": "022-211-2111",
    },
    "answers": {"information": "令和7年度に提出した補助金の申請書に記載された私の個人情報"},
}
PDF_ACCEPT = {"Accept": "application/pdf"}


def b64(data):
    return base64.b64encode(data).decode()


def cases(pki):
    """(name, signature field, expected cause) for every case of issue #16."""
    document = pki.document
    signed = pki.good.sign_pdf(document)
    data = "申請書の本文".encode()
    return [
        ("valid", {"pdf": b64(signed)}, None),
        ("valid-detached", {"file": b64(data), "signature": b64(pki.good.detached(data))}, None),
        ("tampered", {"pdf": b64(tampered(signed))}, "modified"),
        ("expired", {"pdf": b64(pki.expired.sign_pdf(document))}, "expired"),
        ("revoked", {"pdf": b64(pki.revoked.sign_pdf(document))}, "revoked"),
        ("untrusted-root", {"pdf": b64(pki.stranger.sign_pdf(document))}, "untrusted"),
        ("unsigned", {"pdf": b64(document)}, "unsigned"),
        (
            "over-another-file",
            {"file": b64(b"another file"), "signature": b64(pki.good.detached(data))},
            "not-matching",
        ),
        ("truncated", {"pdf": b64(signed[: len(signed) // 2])}, "damaged"),
        ("renamed-executable", {"pdf": b64(b"MZ\x90\x00" + bytes(500))}, "not-pdf"),
        (
            "junk-signature",
            {"file": b64(data), "signature": b64(b"not a signature")},
            "not-a-signature",
        ),
    ]


def post(procedures, path, data, headers=None):
    return procedures.request(
        "POST", path, data, {"X-Forwarded-For": Api.client_ip(), **(headers or {})}
    )


def test_each_case_gets_its_verdict_at_the_intake_and_from_the_verify_api(
    procedures, pki, staff_token
):
    for name, signature, cause in cases(pki):
        reply = post(procedures, "/applications", {**SIGNED, "signature": signature})
        checked = post(procedures, "/signatures/verify", signature)
        assert checked.status == 200, (name, checked)
        verdict = checked.json()
        assert (verdict["valid"], verdict["cause"]) == (cause is None, cause), name
        if cause is None:
            assert reply.status == 201, (name, reply)
            assert verdict["signer"]["common_name"] == "宮城 花子"
            assert verdict["trusted_anchor"] == "テスト ルート"
            assert verdict["revocation"] == "good"
            continue
        found = problem(reply, f"signature-{cause}", 422)
        assert found["cause"] == cause, name
        assert (found["detail"], found["detail_en"]) == verify.CAUSES[cause], name
        assert found["errors"][0]["field"] == "signature"
        assert "宮城 花子" not in reply.text()  # the signer is not echoed in the problem
    # who signed is recorded with what the applicant wrote, for the department's staff
    listed = procedures.request(
        "GET",
        "/staff/applications?procedure=kojin-joho-kaiji",
        headers=auth(staff_token(department="kenseijoho")),
    ).json()["applications"]
    signers = [a["applicant"]["signed_by"] for a in listed]
    assert {s["common_name"] for s in signers} == {"宮城 花子"}
    assert {s["kind"] for s in signers} == {"pdf", "detached"}
    assert all(s["trusted_anchor"] == "テスト ルート" and s["signing_time"] for s in signers)


def multipart(files):
    """A browser's multipart/form-data body for {name: bytes} (b"": a field left empty)."""
    boundary = "----hiroba" + uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.bin"'
        f"\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, data in files.items()
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def verify_page(procedures, files):
    body, boundary = multipart(files)
    return procedures.request(
        "POST",
        "/signatures/verify",
        raw=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "text/html,application/xhtml+xml,*/*",
            "X-Forwarded-For": Api.client_ip(),
        },
    )


def test_the_verify_page_shows_each_case_with_its_reason(procedures, pki):
    """The public 署名検証 form (multipart, no script) gets the verdict as a page: valid or
    not and why, signer, chain and anchor, revocation, changes after signing."""
    for name, signature, cause in cases(pki):
        files = {k: base64.b64decode(v) for k, v in signature.items()}
        reply = verify_page(procedures, files)
        assert reply.status == 200, (name, reply)
        assert reply.headers["content-type"].startswith("text/html")
        page = reply.text()
        assert '<header class="hiroba-header">' in page  # a page of the site
        if cause is None:
            assert "署名は有効です" in page, name
            assert "宮城 花子" in page and "テスト ルート" in page
            assert "失効していません" in page and "変更されていません" in page
            continue
        assert "署名は有効ではありません" in page, name
        ja, en = verify.CAUSES[cause]
        assert ja in html.unescape(page) and en in html.unescape(page), name
        if cause == "modified":
            assert "変更されています" in page
        if cause == "revoked":
            assert "失効しています" in page
        if cause == "untrusted":
            assert "つながりません" in page


def test_the_verify_page_says_what_to_choose_and_refuses_what_it_cannot_read(procedures, pki):
    signed = pki.good.sign_pdf(pki.document)
    nothing = verify_page(procedures, {"pdf": b"", "file": b"", "signature": b""})
    assert nothing.status == 422
    assert 'href="/procedures/verify/#verify-pdf"' in nothing.text()
    half = verify_page(procedures, {"pdf": b"", "file": b"data", "signature": b""})
    assert half.status == 422 and 'href="/procedures/verify/#verify-signature"' in half.text()
    both = verify_page(procedures, {"pdf": signed, "file": b"data", "signature": b"sig"})
    assert both.status == 422 and "組を選んでください" in both.text()
    big = verify_page(procedures, {"pdf": b"%PDF-1.7\n" + bytes(2 * 1024 * 1024)})
    assert big.status == 422 and "2MB以内" in big.text()
    huge = verify_page(procedures, {"pdf": bytes(3 * 1024 * 1024 + 1)})
    assert huge.status == 413
    broken = procedures.request(
        "POST",
        "/signatures/verify",
        raw=b"no parts here",
        headers={
            "Content-Type": "multipart/form-data; boundary=x",
            "Accept": "application/json",
            "X-Forwarded-For": Api.client_ip(),
        },
    )
    assert problem(broken, "bad-form", 400)["detail_en"]
    # a text a certificate or file could carry is shown as text, never as markup
    assert "<script" not in verify_page(procedures, {"pdf": b"<script>alert(1)</script>"}).text()


def test_a_signature_is_required_and_its_shape_checked(procedures):
    missing = problem(post(procedures, "/applications", SIGNED), "validation", 422)
    assert missing["errors"][0]["field"] == "signature"
    assert "電子署名が必要です" in missing["errors"][0]["message"]
    for bad in ("text", {"pdf": "***not base64***"}, {"pdf": "", "file": "x"}, {"file": "AAAA"}):
        reply = post(procedures, "/applications", {**SIGNED, "signature": bad})
        assert problem(reply, "validation", 422)["errors"][0]["field"].startswith("signature")
    # a procedure without `signature = true` ignores the field
    assert post(procedures, "/applications", {**body(), "signature": "x"}).status == 201


def test_the_verify_api_refuses_bad_input_with_4xx(procedures):
    assert problem(post(procedures, "/signatures/verify", {}), "validation", 422)
    assert problem(post(procedures, "/signatures/verify", {"pdf": 3}), "validation", 422)
    reply = procedures.request(
        "POST",
        "/signatures/verify",
        raw=b"{not json",
        headers={"Content-Type": "application/json", "X-Forwarded-For": Api.client_ip()},
    )
    problem(reply, "bad-json", 400)
    too_big = {"pdf": "A" * (4 * 1024 * 1024)}
    problem(post(procedures, "/signatures/verify", too_big), "too-large", 413)
    over_file_limit = {"pdf": "A" * (2 * 1024 * 1024 * 4 // 3 + 64)}
    problem(post(procedures, "/signatures/verify", over_file_limit), "validation", 422)


def _complete(procedures, staff_token, accepted, department="zeimu"):
    """To 完了 as staff do it: two changes, a proposal, and another member's approval."""
    token = auth(staff_token(department=department))
    base = f"/staff/applications/{accepted['reference']}"
    for version, status in enumerate(("accepted", "in_review"), 1):
        change = {"status": status, "version": version}
        reply = procedures.request("PUT", base + "/status", change, token)
        assert reply.status == 200, reply
    decision = {"status": "completed", "version": 3}
    reply = procedures.request("POST", base + "/proposal", decision, token)
    assert reply.status == 200, reply
    approver = auth(staff_token(role="approver", department=department, subject="kacho"))
    reply = procedures.request("POST", base + "/approval", {**decision, "version": 4}, approver)
    assert reply.status == 200, reply


def test_a_completed_tax_certificate_is_issued_signed_and_downloaded(
    procedures, staff_token, stack
):
    accepted = applied(procedures)
    early = post(procedures, "/inquiries/document", fields(accepted), PDF_ACCEPT)
    problem(early, "not-found", 404)  # nothing is issued before 完了
    _complete(procedures, staff_token, accepted)
    view = inquire(procedures, fields(accepted)).json()
    assert view["document"]["title"] == "納税証明書" and view["document"]["issued"]
    until = datetime.fromisoformat(view["document"]["available_until"])
    assert timedelta(days=29) < until - datetime.now(UTC) <= timedelta(days=30)

    reply = post(procedures, "/inquiries/document", fields(accepted), PDF_ACCEPT)
    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "application/pdf"
    assert reply.headers["content-disposition"].startswith("attachment;")
    assert "no-store" in reply.headers["cache-control"]
    pdf = reply.body
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "納税証明書" in text and "宮城 花子" in text and "宮城県知事" in text
    assert accepted["reference"] in text

    verdict = post(procedures, "/signatures/verify", {"pdf": b64(pdf)}).json()
    assert verdict["valid"], verdict
    assert verdict["signer"]["common_name"] == "宮城県知事（テスト用 職責証明書）"
    assert verdict["trusted_anchor"] == "ひろば テスト用ルート認証局"
    assert verdict["chain"][-1] == "ひろば テスト用ルート認証局"
    changed = post(procedures, "/signatures/verify", {"pdf": b64(tampered(pdf))}).json()
    assert (changed["valid"], changed["cause"]) == (False, "modified")
    # and the public 署名検証 page says the same of the issued document and of a tampered copy
    shown = verify_page(procedures, {"pdf": pdf}).text()
    assert "署名は有効です" in shown and "宮城県知事（テスト用 職責証明書）" in shown
    assert "署名は有効ではありません" in verify_page(procedures, {"pdf": tampered(pdf)}).text()

    # a wrong inquiry code gets the inquiry's own 404, and no document
    wrong = fields(accepted, inquiry_code="AAAAA-AAAAA")
    assert post(procedures, "/inquiries/document", wrong, PDF_ACCEPT).status == 404
    # the status page a browser gets offers the download, and its form works
    page = inquire(procedures, fields(accepted), headers=BROWSER).text()
    assert 'action="/api/procedures/inquiries/document"' in page
    assert "納税証明書（PDF）をダウンロード" in page and "までダウンロードできます" in page
    form = procedures.request(
        "POST",
        "/inquiries/document",
        raw="&".join(f"{k}={v}" for k, v in fields(accepted).items()).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "text/html,application/xhtml+xml,*/*",
            "X-Forwarded-For": Api.client_ip(),
        },
    )
    assert form.status == 200 and form.body == pdf


def test_the_document_is_private_in_s3_and_its_period_ends(procedures, staff_token, stack, caplog):
    accepted = applied(procedures)
    _complete(procedures, staff_token, accepted)
    settings = settings_for(stack)
    store = ProceduresStore(settings)
    reference = accepted["reference"].replace("-", "")
    application = store.get_application(reference)
    s3 = DocumentStore(settings).s3
    head = s3.head_object(Bucket=settings.documents_bucket, Key=document_key(application))
    assert document_key(application) == f"documents/040002/{reference}.pdf"
    assert head["ServerSideEncryption"] == "AES256"
    block = s3.get_public_access_block(Bucket=settings.documents_bucket)
    assert all(block["PublicAccessBlockConfiguration"].values())

    procedures_catalogue = catalogue.load()
    args = (store, DocumentStore(settings), procedures_catalogue, fields(accepted))
    with caplog.at_level(logging.INFO, logger="hiroba_core.services.documents"):
        pdf, name = document_service.download(*args, client="192.0.2.1", days=30)
    assert pdf.startswith(b"%PDF-") and name == f"nozei-shomei-{reference}.pdf"
    logged = caplog.text
    assert "document downloaded procedure=nozei-shomei dantai=040002" in logged
    assert reference not in logged and accepted["reference"] not in logged
    assert "宮城" not in logged and accepted["inquiry_code"] not in logged
    later = datetime.now(UTC) + timedelta(days=31)
    with pytest.raises(DocumentExpired):
        document_service.download(*args, client="192.0.2.2", days=30, now=later)
    # a procedure that issues nothing has nothing to download
    other = applied(procedures, body("jidosha-jusho-henko"))
    with pytest.raises(NotFound):
        document_service.download(
            store,
            DocumentStore(settings),
            procedures_catalogue,
            fields(other),
            client="192.0.2.3",
            days=30,
        )


def test_the_kms_signer_signs_through_kms_over_http(stack, pki):
    client = boto3.client(
        "kms",
        endpoint_url=stack.dynamodb_endpoint,
        region_name="ap-northeast-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    key_id = client.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"][
        "KeyId"
    ]
    public = serialization.load_der_public_key(client.get_public_key(KeyId=key_id)["PublicKey"])
    # the CA certifies the KMS key's public key (as LGPKI would, from a CSR)
    certificate = test_ca.certificate(
        test_ca.name("宮城県知事（KMS）"), public, pki.intermediate, pki.intermediate_key
    )
    kms.check_key(client, key_id, asn1_cert(certificate))
    with pytest.raises(signer.SignerUnavailable):
        kms.check_key(client, key_id, asn1_cert(pki.good.certificate))
    kms_signer = kms.KmsSigner(
        client, key_id, asn1_cert(certificate), [asn1_cert(pki.intermediate), asn1_cert(pki.root)]
    )
    verdict = verify.verify_pdf(signer.sign_pdf(pki.document, kms_signer), pki.trust)
    assert verdict.valid, verdict
    assert verdict.signer["common_name"] == "宮城県知事（KMS）"

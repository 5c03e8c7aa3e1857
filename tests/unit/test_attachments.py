"""Attachments without S3: the type from the bytes, the names kept, the keys a draft owns,
the bucket in the AWS template (private, encrypted, drafts' files expire) and the one
widening of the Content-Security-Policy an app's answer may make."""

import json
from pathlib import Path

import pytest
from chalice import Response

from hiroba_core import catalogue, security_headers
from hiroba_core.errors import NotFound
from hiroba_core.services import attachments
from hiroba_web.http import security_headers_middleware
from infra.aws import template

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b"%PDF-1.4\n%\xe2\xe3", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\xff\xd8\xff\xe1\x00\x10Exif", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "executable"),  # Windows .exe / .dll
        (b"\x7fELF\x02\x01\x01\x00", "executable"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "executable"),  # Mach-O
        (b"#!/bin/sh\nrm -rf", "executable"),
        (b"PK\x03\x04\x14\x00\x06\x00", None),  # .docx, .xlsx, .zip
        (b"GIF89a\x01\x00", None),
        (b"<html><script>", None),
        (b" %PDF-1.4", None),  # the signature must come first
        (b"", None),
    ],
)
def test_the_type_comes_from_the_first_bytes(head, found):
    assert attachments.sniff(head) == found


@pytest.mark.parametrize(
    ("name", "media", "kept"),
    [
        ("住民票.pdf", "application/pdf", "住民票.pdf"),
        ("IMG_0001.JPEG", "image/jpeg", "IMG_0001.JPEG"),
        ("scan.pdf", "image/png", "scan.pdf.png"),  # a PNG named .pdf says what it is
        ("委任状", "application/pdf", "委任状.pdf"),
        ("..\\..\\x\u202e.pdf", "application/pdf", "x.pdf"),  # no slashes, no bidi controls
        ("...", "image/png", "file.png"),
        ("あ" * 300 + ".pdf", "application/pdf", "あ" * 96 + ".pdf"),
    ],
)
def test_a_kept_file_has_a_safe_name_with_the_right_extension(name, media, kept):
    cleaned = attachments.clean_name(name, media)
    assert cleaned == kept and len(cleaned) <= attachments.MAX_NAME


def test_reasons_are_in_japanese_and_english():
    for reason in attachments.REASONS:
        ja, en = attachments.reason_message(reason, 3)
        assert ja and en.isascii() and "{" not in ja + en
    assert attachments.reason_message("kind-full", 3)[0].startswith("この書類のファイルは3つまで")


def test_a_draft_names_only_its_own_keys():
    procedure = catalogue.load(None)["sendai-jumin-yuso"]
    draft = attachments.Draft("041009", "a" * 32, procedure)
    upload = "0190a1b2c3d4e5f6a7b8c9"
    mine = f"drafts/041009/{'a' * 32}/incoming/1/{upload}/x.pdf"
    assert attachments._parse(draft, mine, "incoming") == ["1", upload, "x.pdf"]
    for key in (
        f"drafts/041009/{'b' * 32}/incoming/1/{upload}/x.pdf",  # another draft
        f"drafts/040002/{'a' * 32}/incoming/1/{upload}/x.pdf",  # another 団体
        f"drafts/041009/{'a' * 32}/files/1/{upload}/x.pdf",  # not an upload
        f"drafts/041009/{'a' * 32}/incoming/1/{upload}/sub/x.pdf",
        f"drafts/041009/{'a' * 32}/incoming/1/../x.pdf",
        None,
    ):
        with pytest.raises(NotFound):
            attachments._parse(draft, key, "incoming")
    assert attachments._document(procedure, "2") is procedure.attachments[1]
    for kind in ("0", "01", "3", "-1", "１", None):
        assert attachments._document(procedure, kind) is None
    for dantai, draft_id in (("040002", "a" * 32), ("041009", "../x"), ("041009", "short")):
        with pytest.raises(NotFound):
            attachments.Draft(dantai, draft_id, procedure)


def test_the_bucket_is_private_encrypted_and_forgets_drafts():
    committed = json.loads((ROOT / "infra/aws/template.json").read_text("utf-8"))
    assert committed == json.loads(template.render(template.template()))
    bucket = committed["Resources"]["AttachmentsBucket"]["Properties"]
    assert bucket["BucketName"] == "hiroba-attachments"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["Prefix"] == "drafts/"
    # a draft lives at most 7 days (its resume link): its files one day more
    assert rule["ExpirationInDays"] == 8
    statements = {s["Sid"]: s for s in template.policy("procedures")["Statement"]}
    resources = [r["Fn::Sub"] for r in statements["Attachments"]["Resource"]]
    assert resources == [
        "arn:${AWS::Partition}:s3:::hiroba-attachments/drafts/*",
        "arn:${AWS::Partition}:s3:::hiroba-attachments/applications/*",
    ]
    assert "attachments" not in json.dumps(template.policy("publishing"))


def test_an_app_may_add_one_origin_to_form_action_and_nothing_else():
    widened = security_headers.with_form_action("https://b.s3.ap-northeast-1.amazonaws.com")
    assert security_headers.widens_only_form_action(widened)
    for bad in (
        widened.replace("script-src 'self'", "script-src *"),
        widened.replace(".com;", ".com https://evil.example;"),
        security_headers.CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action *"),
        "default-src *",
    ):
        assert not security_headers.widens_only_form_action(bad)
    with pytest.raises(ValueError):
        security_headers.with_form_action("https://x; script-src *")

    def answer(policy):
        response = Response(body="", headers={"Content-Security-Policy": policy})
        return security_headers_middleware(None, lambda event: response).headers

    assert answer(widened)["Content-Security-Policy"] == widened
    site = security_headers.CONTENT_SECURITY_POLICY
    assert answer("default-src *")["Content-Security-Policy"] == site

"""Issued documents in their private S3 bucket: `documents/<団体コード>/<到達番号>.pdf`,
encrypted at rest, never public; the app reads them back to hand them to the applicant.
The local stack and the tests use the S3 of the same moto server as DynamoDB."""

import os
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import StoreUnavailable

PREFIX = "documents/"
_clients = {}


def client(settings):
    endpoint = settings.s3_endpoint
    key = (endpoint, settings.region)
    if key not in _clients:
        import boto3
        from botocore.config import Config

        # Signature Version 4: what S3 accepts for every bucket (presigned POSTs included;
        # buckets created since 2020 refuse version 2, which botocore would otherwise use)
        options = {"region_name": settings.region, "config": Config(signature_version="s3v4")}
        if endpoint:
            options["endpoint_url"] = endpoint
            if not os.environ.get("AWS_ACCESS_KEY_ID"):
                options.update(aws_access_key_id="local", aws_secret_access_key="local")
        _clients[key] = boto3.client("s3", **options)
    return _clients[key]


def ensure_bucket(s3, name):
    """Create the private bucket if missing (the local stack; AWS gets it from infra/aws)."""
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if name in existing:
        return
    s3.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name}
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def document_key(application):
    return f"{PREFIX}{application.dantai}/{application.reference}.pdf"


class DocumentStore:
    def __init__(self, settings):
        self.settings, self.bucket = settings, settings.documents_bucket

    @property
    def s3(self):
        return client(self.settings)

    def put(self, application, pdf, issued_at):
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=document_key(application),
                Body=pdf,
                ContentType="application/pdf",
                ServerSideEncryption="AES256",
                Metadata={"issued-at": issued_at.isoformat(timespec="seconds")},
            )
        except (BotoCoreError, ClientError):
            raise StoreUnavailable() from None

    def get(self, application):
        """(pdf bytes, issued_at) or None."""
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=document_key(application))
            data = answer["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise StoreUnavailable() from None
        except BotoCoreError:
            raise StoreUnavailable() from None
        issued = answer.get("Metadata", {}).get("issued-at")
        return data, datetime.fromisoformat(issued) if issued else None

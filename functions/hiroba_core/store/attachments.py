"""Residents' attachments in their private S3 bucket (hiroba-attachments): the objects, and
the presigned POST a plain HTML form uploads with. What the keys mean and what is checked
is services/attachments.py; this module only talks to S3 (the local stack and the tests use
the S3 of the same moto server as DynamoDB, over HTTP, like store/documents.py)."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import NotFound, StoreUnavailable
from . import documents

_MISSING = ("NoSuchKey", "404", "NotFound")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime


def _missing(error):
    return error.response.get("Error", {}).get("Code") in _MISSING


class AttachmentStore:
    def __init__(self, settings):
        self.settings, self.bucket = settings, settings.attachments_bucket

    @property
    def s3(self):
        return documents.client(self.settings)

    def presigned_post(self, key, fields, conditions, seconds):
        """{url, fields} for a form posting one file under `key` (which may end in
        ${filename}); signed locally, no request to S3."""
        try:
            return self.s3.generate_presigned_post(
                self.bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=seconds
            )
        except (BotoCoreError, ClientError):
            raise StoreUnavailable() from None

    def presigned_get(self, key, seconds, filename, content_type):
        """A link that downloads `key` for `seconds` (as an attachment, never shown inline
        in the console's origin); signed locally, no request to S3."""
        try:
            return self.s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": (
                        f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
                    ),
                    "ResponseContentType": content_type,
                },
                ExpiresIn=seconds,
            )
        except (BotoCoreError, ClientError):
            raise StoreUnavailable() from None

    def size(self, key):
        """The object's size in bytes; NotFound when there is none."""
        try:
            return self.s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except ClientError as error:
            if _missing(error):
                raise NotFound("attachment") from None
            raise StoreUnavailable() from None
        except BotoCoreError:
            raise StoreUnavailable() from None

    def head_bytes(self, key, count):
        """The first `count` bytes (a ranged GET: a 10 MB file is not read to know its type)."""
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{count - 1}")
            return answer["Body"].read(count)
        except ClientError as error:
            if _missing(error):
                raise NotFound("attachment") from None
            raise StoreUnavailable() from None
        except BotoCoreError:
            raise StoreUnavailable() from None

    def copy(self, source, target, content_type):
        """A server-side copy with the type found from the bytes, encrypted at rest."""
        try:
            self.s3.copy_object(
                Bucket=self.bucket,
                Key=target,
                CopySource={"Bucket": self.bucket, "Key": source},
                MetadataDirective="REPLACE",
                ContentType=content_type,
                ContentDisposition="attachment",
                ServerSideEncryption="AES256",
            )
        except ClientError as error:
            if _missing(error):
                raise NotFound("attachment") from None
            raise StoreUnavailable() from None
        except BotoCoreError:
            raise StoreUnavailable() from None

    def delete(self, *keys):
        """Delete the objects (a key already gone is no error)."""
        if not keys:
            return
        try:
            for start in range(0, len(keys), 1000):
                batch = keys[start : start + 1000]
                self.s3.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
                )
        except (BotoCoreError, ClientError):
            raise StoreUnavailable() from None

    def list(self, prefix):
        """Every object under `prefix`, in the order of their keys."""
        found = []
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                found += [
                    StoredObject(o["Key"], o["Size"], o["LastModified"])
                    for o in page.get("Contents", [])
                ]
        except (BotoCoreError, ClientError):
            raise StoreUnavailable() from None
        return sorted(found, key=lambda o: o.key)

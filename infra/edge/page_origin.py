"""The edge include in production: the origin CloudFront asks for pages.

A Lambda function behind a function URL (CloudFront signs its requests with origin access
control): it reads the page from the site's bucket, puts the current emergency banner into
it (banner.py) and answers with the charset of its output and a short cache lifetime
(headers.py). A page that does not exist gets the site's 404.html, with the banner too.
Static files (CSS, images, video, feeds, search index) go from CloudFront to the bucket
directly and never come here. infra/aws/site.py declares the resources.

The current regions are read from the bucket (`_emergency/…`) and kept for
HIROBA_REGIONS_TTL seconds (5 by default), so a published emergency shows within that time
plus CloudFront's, which `make emergency` clears with an invalidation.

(S3 Object Lambda would do the same without a function URL, but AWS closed it to new
customers in November 2025.)
"""

import base64
import os
import time

import boto3

from . import banner, headers

_clients = {}
_regions = {"loaded": 0.0, "value": None}
NOT_FOUND = "404.html"


def _s3():
    if "s3" not in _clients:
        _clients["s3"] = boto3.client(
            "s3", endpoint_url=os.environ.get("HIROBA_S3_ENDPOINT") or None
        )
    return _clients["s3"]


def _read(key):
    """The object's bytes, or None when there is no such object."""
    try:
        answer = _s3().get_object(Bucket=os.environ["HIROBA_SITE_BUCKET"], Key=key)
    except _s3().exceptions.NoSuchKey:
        return None
    return answer["Body"].read()


def current_regions(now=None):
    now = time.monotonic() if now is None else now
    ttl = float(os.environ.get("HIROBA_REGIONS_TTL", "5"))
    if _regions["value"] is None or now - _regions["loaded"] >= ttl:
        _regions["value"] = banner.Regions(_read)
        _regions["loaded"] = now
    return _regions["value"]


def _answer(status, path, body, head):
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": headers.content_type(path),
            "Cache-Control": headers.PAGE_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        },
        # bytes in any charset (Shift_JIS under /m/) pass a function URL only as base64
        "body": "" if head else base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": not head,
    }


def handler(event, context=None):
    """A function URL request (payload 2.0) for a page: the page as it should be served now."""
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    if method not in ("GET", "HEAD"):
        return {"statusCode": 405, "headers": {"Allow": "GET, HEAD"}, "body": ""}
    path = banner.page_path(event.get("rawPath") or "/")  # page_path decodes %xx
    body = _read(path) if path else None
    status = 200
    if body is None:
        path, body, status = NOT_FOUND, _read(NOT_FOUND) or b"Not Found", 404
    return _answer(status, path, current_regions().apply(path, body), method == "HEAD")

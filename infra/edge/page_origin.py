"""The edge include in production: the origin CloudFront asks for pages.

A Lambda function behind a function URL (CloudFront signs its requests with origin access
control): it reads the page from the site's bucket, puts the current emergency banner into
it (banner.py) and answers with the charset of its output and a short cache lifetime
(headers.py). A page that does not exist gets the site's 404.html, with the banner too.
Static files (CSS, images, video, feeds, search index) go from CloudFront to the bucket
directly and never come here. infra/aws/site.py declares the resources.

The current regions are read from the bucket (`_emergency/…`) on every request this
function serves (HIROBA_REGIONS_TTL can keep them a few seconds instead), and CloudFront
keeps each answer at most a minute; the invalidation infra/aws/publish.py makes after
uploading an emergency clears that, so the next request shows it.

(S3 Object Lambda would do the same without a function URL, but AWS closed it to new
customers in November 2025.)
"""

import base64
import os
import time

import boto3

from hiroba_core import emergency_region as banner

from . import headers

_clients = {}
_regions = {"loaded": 0.0, "value": None}
NOT_FOUND = "404.html"


def _s3():
    if "s3" not in _clients:
        _clients["s3"] = boto3.client(
            "s3", endpoint_url=os.environ.get("HIROBA_S3_ENDPOINT") or None
        )
    return _clients["s3"]


def _get(key):
    """(bytes, content type) of an object, or (None, None) when there is no such object."""
    try:
        answer = _s3().get_object(Bucket=os.environ["HIROBA_SITE_BUCKET"], Key=key)
    except _s3().exceptions.NoSuchKey:
        return None, None
    return answer["Body"].read(), answer.get("ContentType")


def _read(key):
    return _get(key)[0]


def current_regions(now=None):
    now = time.monotonic() if now is None else now
    ttl = float(os.environ.get("HIROBA_REGIONS_TTL", "0"))
    if _regions["value"] is None or now - _regions["loaded"] >= ttl:
        _regions["value"] = banner.Regions(_read)
        _regions["loaded"] = now
    return _regions["value"]


def _answer(status, body, head, content_type, cache_control=headers.PAGE_CACHE_CONTROL):
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": content_type,
            "Cache-Control": cache_control,
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
    head = method == "HEAD"
    raw = event.get("rawPath") or "/"
    path = banner.page_path(raw)  # decodes %xx; None for what is not a page or leaves the site
    key = banner.site_path(raw)
    if path is None and key is not None:
        # not a page: a file CloudFront's static routes do not name (a PDF, …), as stored
        body, kind = _get(key)
        if body is not None:
            return _answer(
                200, body, head, kind or "application/octet-stream", "public, max-age=3600"
            )
    body = _read(path) if path else None
    status = 200
    if body is None:
        path, body, status = NOT_FOUND, _read(NOT_FOUND) or b"Not Found", 404
    page = current_regions().apply(path, body)
    return _answer(status, page, head, headers.content_type(path))

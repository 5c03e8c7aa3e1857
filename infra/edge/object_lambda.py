"""The edge include in production: an S3 Object Lambda between CloudFront and the bucket.

CloudFront sends page requests (HTML) to an Object Lambda Access Point; this function
fetches the object through the presigned URL S3 gives it, puts the current emergency banner
into pages (banner.py) with the right charset and cache headers (headers.py), and answers
with WriteGetObjectResponse. Static files (CSS, images, video, feeds, search index) go to
the bucket directly and never come here. infra/aws/site.py declares the resources.

The current regions are read from the bucket (HIROBA_SITE_BUCKET, `_emergency/…`) and kept
for HIROBA_REGIONS_TTL seconds (5 by default), so a published emergency shows within that
time plus CloudFront's, which `make emergency` clears with an invalidation.
"""

import os
import time
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

import boto3
from botocore.config import Config

from . import banner, headers

_clients = {}
_regions = {"loaded": 0.0, "value": None}


def _client(name, endpoint_env):
    if name not in _clients:
        endpoint = os.environ.get(endpoint_env) or None
        # with an explicit endpoint (tests, local) the request route is not a host name
        config = Config(inject_host_prefix=endpoint is None)
        _clients[name] = boto3.client("s3", endpoint_url=endpoint, config=config)
    return _clients[name]


def _read_from_bucket(name):
    try:
        answer = _client("bucket", "HIROBA_S3_ENDPOINT").get_object(
            Bucket=os.environ["HIROBA_SITE_BUCKET"], Key=name
        )
    except _client("bucket", "HIROBA_S3_ENDPOINT").exceptions.NoSuchKey:
        return None
    return answer["Body"].read()


def current_regions(now=None):
    now = time.monotonic() if now is None else now
    ttl = float(os.environ.get("HIROBA_REGIONS_TTL", "5"))
    if _regions["value"] is None or now - _regions["loaded"] >= ttl:
        _regions["value"] = banner.Regions(_read_from_bucket)
        _regions["loaded"] = now
    return _regions["value"]


def handler(event, context=None):
    request = event["getObjectContext"]
    route = {"RequestRoute": request["outputRoute"], "RequestToken": request["outputToken"]}
    writer = _client("object-lambda", "HIROBA_OBJECT_LAMBDA_ENDPOINT")
    key = unquote(urlsplit(event["userRequest"]["url"]).path).lstrip("/")
    try:
        with urllib.request.urlopen(request["inputS3Url"], timeout=10) as original:
            body = original.read()
            stored_type = original.headers.get("Content-Type")
    except urllib.error.HTTPError as error:
        # the bucket's own answer (404 for a page that does not exist, 403 …), passed on
        writer.write_get_object_response(
            **route,
            StatusCode=error.code,
            ErrorCode="NoSuchKey" if error.code in (403, 404) else "OriginError",
            ErrorMessage="The page does not exist." if error.code in (403, 404) else "Error.",
        )
        return {"statusCode": error.code}
    path = banner.page_path(key)
    extra = {"ContentType": stored_type} if stored_type else {}
    if path:
        body = current_regions().apply(path, body)
        extra = {
            "ContentType": headers.content_type(path),
            "CacheControl": headers.PAGE_CACHE_CONTROL,
        }
    writer.write_get_object_response(**route, StatusCode=200, Body=body, **extra)
    return {"statusCode": 200}

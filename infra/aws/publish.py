"""Put the built site into its S3 bucket and tell CloudFront.

    python -m infra.aws.publish --bucket B [--distribution D] --all
        the whole of output/: every file uploaded, objects no longer built deleted
    set -o pipefail; python -m infra.tools.emergency publishconf.py --file content/news/x.md \\
        | tail -n +2 | python -m infra.aws.publish --bucket B --distribution D --files-from -
        only what the emergency fast path wrote: about 30 files, whatever the site's size

Pages get the charset of their output (Shift_JIS under /m/) and a short cache lifetime;
the edge function (infra/edge/page_origin.py) splices the current emergency banner into
them. After an upload, one CloudFront invalidation of /* drops what the edge cached.
`--endpoint` points boto3 at another S3/CloudFront endpoint (the tests use a moto server).

Emergency information never goes back in time: the banner regions carry the instant they
were computed at (`computed_at` in `_emergency/regions.json`), and a full upload of a build
that started before the emergency information in the bucket was published leaves the
emergency files alone (the fast path's are newer).
"""

import argparse
import json
import mimetypes
import re
import sys
import time
from pathlib import Path

import boto3

from hiroba_core import emergency_region as banner
from infra.edge import headers

ROOT = Path(__file__).resolve().parents[2]
TYPES = {".vtt": "text/vtt", ".webm": "video/webm", ".xml": "application/xml"}
# kept beside the build for the fast path, never published (it lists scheduled notices)
PRIVATE = {f"{banner.FOLDER}/sources.json"}
# what the emergency fast path writes, as well as the build
EMERGENCY = re.compile(rf"^(?:{banner.FOLDER}/|(?:[^/]+/)?emergency/|feeds/emergency)")


class Refused(Exception):
    """A publication that would do harm: nothing is uploaded."""


def object_headers(name):
    """ContentType and CacheControl of one file of the site."""
    if banner.page_path(name) or name.endswith(".html"):
        return {
            "ContentType": headers.content_type(name),
            "CacheControl": headers.PAGE_CACHE_CONTROL,
        }
    suffix = Path(name).suffix
    kind = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/xml", "application/json"):
        kind += "; charset=utf-8"
    # the banner regions and emergency feeds change without a build: never cached long
    short = EMERGENCY.match(name) or name.startswith("feeds/")
    return {
        "ContentType": kind,
        "CacheControl": "public, max-age=60" if short else "public, max-age=3600",
    }


def checked(output, names):
    """The names, each a file path inside output/ (or a key to delete), else Refused."""
    root = Path(output).resolve()
    for name in names:
        target = (root / name).resolve()
        if name.startswith("/") or ".." in name.split("/") or not target.is_relative_to(root):
            raise Refused(f"{name}: not a path inside {root}")
    return [n for n in names if n not in PRIVATE]


def upload(s3, bucket, output, names):
    """Upload `names` (paths in output/); a name whose file is gone is deleted. Returns counts."""
    uploaded = deleted = 0
    for name in checked(output, names):
        path = Path(output) / name
        if path.is_file():
            s3.put_object(Bucket=bucket, Key=name, Body=path.read_bytes(), **object_headers(name))
            uploaded += 1
        else:
            s3.delete_object(Bucket=bucket, Key=name)
            deleted += 1
    return uploaded, deleted


def _computed_at(data):
    return json.loads(data).get("computed_at", "") if data else ""


def emergency_is_newer_in_bucket(s3, bucket, output):
    """Whether the bucket's emergency information was computed after this build's."""
    local = Path(output) / banner.MANIFEST
    try:
        remote = s3.get_object(Bucket=bucket, Key=banner.MANIFEST)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return False
    mine = _computed_at(local.read_bytes() if local.is_file() else None)
    return _computed_at(remote) > mine


def everything(s3, bucket, output):
    """Every built file, plus the keys in the bucket that the build no longer writes."""
    root = Path(output)
    if not (root / "index.html").is_file():
        raise Refused(f"{root} holds no built site (no index.html): nothing is deleted")
    built = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    stale = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        stale += [o["Key"] for o in page.get("Contents", []) if not (root / o["Key"]).is_file()]
    if emergency_is_newer_in_bucket(s3, bucket, output):
        # the fast path published after this build began: its files stay, and so do the
        # pages it uploaded that this build does not have yet (the emergency notice's own
        # pages, which every banner links to); the next build cleans what is truly stale
        return [n for n in built if not EMERGENCY.match(n)]
    return built + stale


def invalidate(cloudfront, distribution):
    """One invalidation of every path; returns its id."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"hiroba-{time.time_ns()}",
        },
    )
    return answer["Invalidation"]["Id"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m infra.aws.publish", description=__doc__)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--distribution")
    parser.add_argument("--output", default=str(ROOT / "output"))
    parser.add_argument("--endpoint", help="S3 and CloudFront endpoint (tests, local)")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--all", action="store_true")
    group.add_argument("--files-from", help="a file listing paths in output/, or - for stdin")
    args = parser.parse_args(argv)
    s3 = boto3.client("s3", endpoint_url=args.endpoint)
    try:
        if args.all:
            names = everything(s3, args.bucket, args.output)
        else:
            if args.files_from == "-":
                text = sys.stdin.read()
            else:
                text = Path(args.files_from).read_text("utf-8")
            names = [line.strip() for line in text.splitlines() if line.strip()]
            if not names:
                raise Refused("no files listed: nothing to publish")
        uploaded, deleted = upload(s3, args.bucket, args.output, names)
    except Refused as refused:
        print(f"publish: refused: {refused}", file=sys.stderr)
        return 2
    message = f"publish: {uploaded} uploaded, {deleted} deleted"
    if args.distribution:
        cloudfront = boto3.client("cloudfront", endpoint_url=args.endpoint)
        message += f"; invalidation {invalidate(cloudfront, args.distribution)}"
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())

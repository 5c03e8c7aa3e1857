"""The JMA poller in production: a function an EventBridge rule runs every minute
(infra/aws/template.py, the JmaPoller* resources).

Each run: the poller's state from a private S3 object; one poll (poller.poll); when it
wrote notices or one expired, the repository's content at the head of the branch from the
Git host's archive endpoint, the notices committed through the Git host's contents API (so
Git keeps the record and the next full build has them), the emergency fast path over that
content (every live emergency, the editors' included), its files uploaded to the site
bucket with infra/aws/publish.py and one CloudFront invalidation, one mail per report to
防災 subscribers (HIROBA_MAIL=ses), and the state saved.

The Git host API has GitHub's shape: `GET /repos/<repo>/tarball/<branch>`,
`GET|PUT /repos/<repo>/contents/<path>`, a bearer token read from Secrets Manager.
"""

import base64
import io
import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import boto3

from hiroba_core.content import model

from . import feeds, notices, poller

COMMITTER = {"name": "気象庁XML自動取込", "email": "jma-poller@pref.miyagi.jp"}


class GitHostError(RuntimeError):
    """The Git host refused or failed: the run stops before publishing, state unsaved, and
    the next run (a minute later) tries the same reports again."""


class GitHost:
    def __init__(self, api, repository, branch, token):
        self.api, self.repository, self.branch = api.rstrip("/"), repository, branch
        self.token = token

    def _request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.api}/repos/{self.repository}/{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "User-Agent": feeds.USER_AGENT,
                **({"Content-Type": "application/json"} if data else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError as error:
            raise GitHostError(f"{method} {path}: {error}") from None

    def content(self, target):
        """Extract the branch's content/ folder into target/content; returns that path."""
        status, data = self._request("GET", f"tarball/{self.branch}")
        if status != 200:
            raise GitHostError(f"archive of {self.branch}: HTTP {status}")
        folder = Path(target) / "content"
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive.getmembers():
                # <repository>-<commit>/content/…: only regular files under content/
                parts = member.name.split("/")
                if len(parts) < 3 or parts[1] != "content" or not member.isfile():
                    continue
                if ".." in parts or member.name.startswith("/"):
                    continue
                destination = folder.joinpath(*parts[2:])
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(archive.extractfile(member).read())
        return folder

    def commit(self, path, text, message):
        """Create or replace one file on the branch: one commit."""
        status, data = self._request("GET", f"contents/{path}?ref={self.branch}")
        if status not in (200, 404):
            raise GitHostError(f"{path}: HTTP {status}")
        body = {
            "message": message,
            "content": base64.b64encode(text.encode("utf-8")).decode("ascii"),
            "branch": self.branch,
            "committer": COMMITTER,
        }
        if status == 200:
            body["sha"] = json.loads(data)["sha"]
        status, _ = self._request("PUT", f"contents/{path}", body)
        if status not in (200, 201):
            raise GitHostError(f"commit of {path}: HTTP {status}")


def _clients(environ):
    endpoint = environ.get("HIROBA_AWS_ENDPOINT") or None
    return {
        name: boto3.client(name, endpoint_url=endpoint)
        for name in ("s3", "secretsmanager", "cloudfront")
    }


def load_state(s3, bucket, key):
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return poller.State()
    return poller.State(**json.loads(body))


def save_state(s3, bucket, key, state):
    scratch = Path(tempfile.mkdtemp()) / "state.json"
    state.save(scratch)
    s3.put_object(Bucket=bucket, Key=key, Body=scratch.read_bytes())


def handler(event, context, environ=None):
    """One scheduled run; returns what it did (the function's result, in its log)."""
    env = environ if environ is not None else os.environ
    clients = _clients(env)
    s3 = clients["s3"]
    state_bucket = env["HIROBA_JMA_STATE_BUCKET"]
    state_key = env.get("HIROBA_JMA_STATE_KEY", "jma/state.json")
    state = load_state(s3, state_bucket, state_key)
    work = Path(tempfile.mkdtemp(prefix="jma-"))
    try:
        fresh = work / "notices"
        urls = [u for u in env.get("HIROBA_JMA_FEEDS", "").split() if u] or list(feeds.FEEDS)
        # the rule fires every 60 s, give or take: a little under a minute apart is still
        # at most once a minute for JMA
        interval = float(env.get("HIROBA_JMA_MIN_INTERVAL", "55"))
        outcome = poller.poll(urls, state, fresh, min_interval=interval)
        now = model.build_time(env.get("HIROBA_NOW"))
        due = [
            slug
            for slug, notice in state.notices.items()
            if notice.get("expires") and datetime.fromisoformat(notice["expires"]) <= now
        ]
        result = {"fetched": outcome.fetched, "written": [], "published": ""}
        if not outcome.written and not due:
            save_state(s3, state_bucket, state_key, state)
            return result
        token = clients["secretsmanager"].get_secret_value(SecretId=env["HIROBA_GIT_TOKEN_SECRET"])[
            "SecretString"
        ]
        git = GitHost(
            env.get("HIROBA_GIT_API", "https://api.github.com"),
            env["HIROBA_GIT_REPOSITORY"],
            env.get("HIROBA_GIT_BRANCH", "main"),
            token,
        )
        content = git.content(work / "site")
        poller.expired(state, content, now)  # marked: the fast path below lifts them
        written = []
        for report, path in outcome.written:
            target = content / "news" / Path(path).name
            target.write_text(Path(path).read_text("utf-8"), "utf-8")
            title = target.read_text("utf-8").split("\n", 1)[0].removeprefix("Title: ")
            git.commit(
                f"content/news/{target.name}",
                target.read_text("utf-8"),
                f"{title}（気象庁「{notices.SOURCES[report.kind]}」{report.serial}）",
            )
            written.append((report, target))
        outcome.written = written
        output = work / "site" / "output"
        published, summary, files = _fast_path(env, content, output)
        names = files + _stale_cap_alerts(s3, env["HIROBA_SITE_BUCKET"], output)
        from infra.aws import publish

        publish.upload(s3, env["HIROBA_SITE_BUCKET"], output, names)
        if env.get("HIROBA_DISTRIBUTION_ID"):
            publish.invalidate(clients["cloudfront"], env["HIROBA_DISTRIBUTION_ID"])
        result.update(written=[p.name for _, p in written], published=summary)
        if written:
            result["mail"] = poller.mail(outcome, published, env)
        save_state(s3, state_bucket, state_key, state)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _fast_path(env, content, output):
    """Every live emergency of the repository's content, published into `output`."""
    from pelican.settings import read_settings

    from infra.tools.emergency import publish as fast_path

    os.environ["HIROBA_CONTENT"], os.environ["HIROBA_OUTPUT"] = str(content), str(output)
    if env.get("HIROBA_NOW"):
        os.environ["HIROBA_NOW"] = env["HIROBA_NOW"]
    settings = read_settings(str(poller.ROOT / env.get("HIROBA_SETTINGS", "publishconf.py")))
    live, written, _ = fast_path(settings)
    titles = "、".join(e.title for e in live) or "なし"
    return (settings, live), f"emergency: {len(live)} live ({titles})", written


def _stale_cap_alerts(s3, bucket, output):
    """CAP alerts in the bucket that this run no longer writes (lifted or expired): the
    fast path ran on an empty output folder, so it cannot see them to delete them."""
    stale = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix="emergency/cap/"
    ):
        stale += [o["Key"] for o in page.get("Contents", []) if not (output / o["Key"]).is_file()]
    return stale

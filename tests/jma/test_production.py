"""The production poller (infra/jma/production.py) against real protocols on loopback: S3
and Secrets Manager (the project's moto server), JMA's feeds, and a Git host with GitHub's
API shape."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest

from infra.jma import production
from infra.local.dynamodb import LocalDynamoDB
from infra.local.stack import ROOT
from tests.conftest import make_content
from tests.jma.githost import GitHost
from tests.jma.loopback import JmaServer
from tests.site.test_emergency import FILES

NOTICE = "content/news/jma-tsunami-20261127140200.md"


@pytest.fixture(scope="module")
def aws():
    server = LocalDynamoDB().start()
    yield server.url
    server.stop()


@pytest.fixture
def world(aws, tmp_path, monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        # the handler points Pelican at the content it fetched; restored after the test
        "HIROBA_CONTENT": "",
        "HIROBA_OUTPUT": "",
        "HIROBA_NOW": "",
    }.items():
        monkeypatch.setenv(key, value)
    s3 = boto3.client("s3", endpoint_url=aws)
    names = {kind: f"hiroba-{kind}-{uuid.uuid4().hex[:10]}" for kind in ("site", "state")}
    for name in names.values():
        s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
        )
    secret = boto3.client("secretsmanager", endpoint_url=aws).create_secret(
        Name=f"hiroba-git-{uuid.uuid4().hex[:8]}", SecretString="t0ken"
    )["ARN"]
    make_content(tmp_path / "repo", FILES)
    git = GitHost(tmp_path / "repo", token="t0ken")
    jma = JmaServer(tmp_path / "jma")
    env = {
        "HIROBA_AWS_ENDPOINT": aws,
        "HIROBA_JMA_STATE_BUCKET": names["state"],
        "HIROBA_SITE_BUCKET": names["site"],
        "HIROBA_GIT_API": git.api,
        "HIROBA_GIT_REPOSITORY": git.repository,
        "HIROBA_GIT_TOKEN_SECRET": secret,
        "HIROBA_JMA_FEEDS": jma.url("eqvol"),
        "HIROBA_JMA_MIN_INTERVAL": "0",
        "HIROBA_SETTINGS": "pelicanconf.py",
        "HIROBA_SEARCH_INDEX": "0",
    }
    yield env, s3, names, git, jma
    jma.stop()
    git.stop()


def read(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def keys(s3, bucket):
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_scheduled_run_commits_the_notice_publishes_it_and_lifts_it(world):
    env, s3, names, git, jma = world
    site = names["site"]
    jma.publish("eqvol", [("vtse41-miyagi-1.xml", "2026-11-27T05:05:12Z")])
    result = production.handler({}, None, {**env, "HIROBA_NOW": "2026-11-27 14:06"})
    assert result["written"] == ["jma-tsunami-20261127140200.md"], result
    # Git keeps the record: one commit of the notice, by the poller
    ((path, message, committer, text),) = git.commits
    assert path == NOTICE and committer == "気象庁XML自動取込"
    assert "宮城県に津波警報が発表されています" in message and "Severity: severe" in text
    # the site bucket: the banner of every language and /m/, the notice's pages, CAP
    uploaded = keys(s3, site)
    assert "宮城県に津波警報" in read(s3, site, "_emergency/main.ja.inc").decode()
    assert (
        "/en/news/jma-tsunami-20261127140200/" in read(s3, site, "_emergency/main.en.inc").decode()
    )
    assert "津波警報" in read(s3, site, "_emergency/mobile-top.ja.inc").decode("cp932")
    for prefix in ("", "en/", "ne/", "easy/", "m/"):
        assert f"{prefix}news/jma-tsunami-20261127140200/index.html" in uploaded
    assert "emergency/cap/jma-tsunami-20261127140200.xml" in uploaded
    assert "_emergency/sources.json" not in uploaded  # never published
    state = json.loads(read(s3, names["state"], "jma/state.json"))
    assert "tsunami|20261127140200|1" in state["reports"]

    # the next minute, nothing new: no commit, nothing uploaded again
    before = {k: read(s3, site, k) for k in uploaded}
    result = production.handler({}, None, {**env, "HIROBA_NOW": "2026-11-27 14:07"})
    assert result["written"] == [] and len(git.commits) == 1
    assert {k: read(s3, site, k) for k in keys(s3, site)} == before

    # the cancellation: committed again (the file's sha given), banner and CAP alert gone
    jma.publish("eqvol", [("vtse41-miyagi-3.xml", "2026-11-27T07:00:08Z")])
    result = production.handler({}, None, {**env, "HIROBA_NOW": "2026-11-27 16:01"})
    assert result["published"].startswith("emergency: 0 live"), result
    assert len(git.commits) == 2 and "Expires_at: 2026-11-27 16:00" in git.commits[1][3]
    assert "津波" not in read(s3, site, "_emergency/main.ja.inc").decode()
    assert "津波" not in read(s3, site, "_emergency/mobile-top.ja.inc").decode("cp932")
    assert "emergency/cap/jma-tsunami-20261127140200.xml" not in keys(s3, site)


def test_a_refused_commit_publishes_nothing_and_the_next_run_tries_again(world):
    env, s3, names, git, jma = world
    jma.publish("eqvol", [("vtse41-miyagi-1.xml", "2026-11-27T05:05:12Z")])
    git.token = "rotated"  # the secret no longer matches
    with pytest.raises(production.GitHostError):
        production.handler({}, None, {**env, "HIROBA_NOW": "2026-11-27 14:06"})
    assert keys(s3, names["site"]) == set() and git.commits == []
    git.token = "t0ken"
    result = production.handler({}, None, {**env, "HIROBA_NOW": "2026-11-27 14:07"})
    assert result["written"] == ["jma-tsunami-20261127140200.md"]
    assert "_emergency/main.ja.inc" in keys(s3, names["site"])


def test_the_container_image_copies_every_module_the_handler_runs():
    """The image (infra/jma/Dockerfile) cannot be built here, so check what it would hold:
    every project file a fresh interpreter loads to run the handler, the fast path and the
    mail step lies under a COPY of the Dockerfile, and its CMD names the handler."""
    dockerfile = (ROOT / "infra/jma/Dockerfile").read_text("utf-8")
    copied = []
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            copied += line.split()[1:-1]
    assert 'CMD ["infra.jma.production.handler"]' in dockerfile
    probe = (
        "import sys, json\n"
        "import infra.jma.production, plugins.emergency.emergency\n"
        "import hiroba_core.mail, hiroba_core.services.sending, hiroba_core.store.newsletter\n"
        "print(json.dumps([getattr(m, '__file__', None) for m in list(sys.modules.values())]))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    root = ROOT.resolve()
    used = set()
    for name in json.loads(loaded.stdout):
        path = Path(name).resolve() if name else None
        if path and path.is_relative_to(root) and not path.is_relative_to(root / ".venv"):
            used.add(path.relative_to(root).as_posix())
    assert "infra/jma/production.py" in used and "plugins/emergency/emergency.py" in used
    missing = [
        p for p in used if not any(p == c or p.startswith(c.rstrip("/") + "/") for c in copied)
    ]
    assert missing == [], missing

"""The JMA poller: JMA's 防災情報XML (fixtures written from JMA's published format, served on
loopback) to a working banner on every page, mail to 防災 subscribers, and back."""

import email
import email.policy
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from pelican.settings import read_settings

from hiroba_core.domain.subscription import Preferences
from hiroba_core.settings import Settings
from hiroba_core.store import dynamo, tables
from hiroba_core.store.newsletter import NewsletterStore
from infra.jma import feeds, poller, reports
from infra.jma.__main__ import main
from infra.local.dynamodb import LocalDynamoDB
from infra.local.stack import ROOT, MailSink
from plugins.content_checks import content_checks
from tests.conftest import make_content, run_build
from tests.jma.loopback import FIXTURES, JmaServer
from tests.site.test_emergency import FILES, HREF, pages, region_of, served

NOTICE = "news/jma-tsunami-20261127140200.md"


def report(name):
    return reports.parse((FIXTURES / name).read_bytes())


# ---------------------------------------------------------------- reading reports


def test_reports_are_mapped_onto_the_emergency_model_by_miyagi_area_codes():
    warning = report("vtse41-miyagi-1.xml")
    assert (warning.kind, warning.severity, warning.warnings) == (
        "tsunami",
        "severe",
        ("津波警報",),
    )
    assert warning.areas == ("宮城県",) and warning.key == "tsunami|20261127140200|1"
    # 全角 in JMA's text becomes what the content rules accept
    assert "0.3m" in warning.headline and "（予想される津波の高さ：3m）" in warning.details[0][1]
    update = report("vtse41-miyagi-2.xml")
    assert (update.severity, update.warnings, update.serial) == ("extreme", ("大津波警報",), "2")
    lifted = report("vtse41-miyagi-3.xml")
    assert lifted.lifted and lifted.severity is None and lifted.concerns_miyagi
    # warnings for other prefectures only: not ours
    assert not report("vtse41-hokkaido.xml").concerns_miyagi
    assert not report("vpww54-yamagata.xml").concerns_miyagi  # 大雨特別警報 in 山形県
    weather = report("vpww54-miyagi.xml")
    assert (weather.severity, weather.warnings) == ("severe", ("大雨警報", "雷注意報"))
    assert weather.areas == ("仙台市", "石巻市", "塩竈市")
    landslide = report("vxww50-miyagi.xml")
    assert (landslide.severity, landslide.areas) == ("severe", ("仙台市",))  # 石巻市: なし
    quake = report("vxse53-miyagi.xml")
    assert (quake.severity, quake.warnings) == ("extreme", ("震度6弱",))
    assert "岩手県沿岸南部" not in quake.areas
    with pytest.raises(reports.MalformedReport):
        report("vtse41-truncated.xml")
    with pytest.raises(reports.MalformedReport):
        reports.parse(b"<feed xmlns='http://www.w3.org/2005/Atom'/>")


def test_a_special_warning_is_extreme_and_an_advisory_moderate():
    text = (FIXTURES / "vpww54-miyagi.xml").read_text("utf-8")
    special = text.replace("<Name>大雨警報</Name>", "<Name>大雨特別警報</Name>")
    assert reports.parse(special.encode()).severity == "extreme"
    advisory = text.replace("<Name>大雨警報</Name>", "<Name>大雨注意報</Name>")
    assert reports.parse(advisory.encode()).severity == "moderate"
    lifted = re.sub(r"<Status>(発表|継続)</Status>", "<Status>解除</Status>", text)
    assert reports.parse(lifted.encode()).lifted


def test_notice_from_jma_text_is_escaped_and_passes_the_content_rules(tmp_path):
    hostile = (FIXTURES / "vtse41-miyagi-1.xml").read_text("utf-8")
    hostile = hostile.replace(
        "東北地方太平洋沿岸に津波警報を発表しました。",
        "&lt;script&gt;alert(1)&lt;/script&gt; [避難](javascript:x) *強調* # 見出し ① ｶﾀｶﾅ",
    )
    content = make_content(tmp_path, {})
    state = poller.State()
    path = poller.write_notice(reports.parse(hostile.encode()), state, content)
    text = path.read_text("utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert r"\[避難\]\(javascript:x\)" in text and r"\*強調\*" in text and r"\# 見出し" in text
    assert r"\(1\) カタカナ" in text  # ① and 半角カナ, which the rules refuse, are plain
    settings = read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(content)})
    violations = content_checks.check_named_files([path], settings, {}, _Nothing())
    assert [v for v in violations if not v.warning] == [], violations


class _Nothing:
    def __contains__(self, name):
        return False

    def items(self):
        return ()


def test_polling_is_polite_if_modified_since_and_at_most_once_a_minute(tmp_path):
    jma = JmaServer(tmp_path / "jma")
    try:
        jma.publish("eqvol", [("vtse41-hokkaido.xml", "2026-11-27T00:33:05Z")])
        state, content = poller.State(), make_content(tmp_path, {})
        first = poller.poll([jma.url("eqvol")], state, content, min_interval=60)
        assert first.fetched == 1 and first.elsewhere == 1 and first.written == []
        asked = len(jma.requests)
        # again within the minute: JMA is not asked at all
        again = poller.poll([jma.url("eqvol")], state, content, min_interval=60)
        assert again.skipped_feeds == 1 and len(jma.requests) == asked
        # a minute later: asked with If-Modified-Since, and the unchanged feed is a 304
        later = datetime.now(UTC).replace(year=2100)
        third = poller.poll([jma.url("eqvol")], state, content, now=later, min_interval=60)
        path, since, status = jma.requests[-1]
        assert path == "/feed/eqvol.xml" and since and status == 304
        assert third.not_modified == 1 and third.fetched == 0
    finally:
        jma.stop()


def test_make_jma_refuses_to_poll_jma_faster_than_once_a_minute(capsys):
    """--min-interval below a minute is for the loopback fixtures; against JMA's own feeds
    the command stops before asking anything."""
    for argv in (["--min-interval", "0"], ["--feed", feeds.FEEDS[0], "--min-interval", "5"]):
        with pytest.raises(SystemExit) as stopped:
            main(["jma", "--once", *argv])
        assert stopped.value.code == 2
        error = capsys.readouterr().err
        assert "気象庁" in error and "at least 60 s" in error and "data.jma.go.jp" in error


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def mailing(tmp_path_factory):
    """The loopback DynamoDB server with the publishing table, an SMTP sink, and three
    confirmed 防災 subscribers (and one of 観光 only, who must get nothing)."""
    database = LocalDynamoDB().start()
    sink = MailSink(tmp_path_factory.mktemp("mail")).start()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "functions")]),
        "DYNAMODB_ENDPOINT": database.url,
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "HIROBA_MAIL": sink.url,
        "HIROBA_NEWSLETTER_RATE": "0",
    }
    settings = Settings.from_env(env)
    tables.ensure_tables(dynamo.client(settings), settings)
    store = NewsletterStore(settings)
    people = {f"bousai-{n}@example.jp": ("bousai",) for n in range(3)}
    people["kanko@example.jp"] = ("kanko",)
    for number, (address, topics) in enumerate(people.items()):
        store.confirm(f"s{number}", address, Preferences(topics, "weekly", "ja"), "2026-11-01")
    yield env, sink
    sink.stop()
    database.stop()


def run_poller(jma, content, output, now, env, state):
    command = [sys.executable, "-m", "infra.jma", str(ROOT / "pelicanconf.py"), "--once"]
    command += ["--min-interval", "0", "--state", str(state)]
    command += ["--feed", jma.url("eqvol"), "--feed", jma.url("extra")]
    env = {
        **env,
        "HIROBA_CONTENT": str(content),
        "HIROBA_OUTPUT": str(output),
        "HIROBA_NOW": now,
        "HIROBA_SEARCH_INDEX": "0",
    }
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def every_banner(output):
    """{page: banner region} of every page as served, and every banner link answered."""
    relatives = [p.relative_to(output).as_posix() for p in pages(output)]
    answers = served(output, ["/" + r for r in relatives])
    regions = {r: region_of(answers["/" + r][0], r) for r in relatives}
    links = {link for region in regions.values() for link in HREF.findall(region)}
    served(output, sorted(links))  # every link of every banner region answers 200
    return regions, links


def inbox(sink):
    found = {}
    for path in sink.messages():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found.setdefault(message["To"], []).append(message)
    return found


def test_a_tsunami_warning_for_miyagi_reaches_every_page_and_its_cancellation_lifts_it(
    tmp_path, mailing
):
    env, sink = mailing
    content = make_content(tmp_path, FILES)
    output = tmp_path / "output"
    assert run_build(content, output, now="2026-11-27 14:00").returncode == 0
    state = tmp_path / "jma-state.json"
    jma = JmaServer(tmp_path / "jma")
    try:
        # a warning for another prefecture, a report cut off in transfer, and ours
        jma.publish(
            "eqvol",
            [
                ("vtse41-hokkaido.xml", "2026-11-27T00:33:05Z"),
                ("vtse41-truncated.xml", "2026-11-27T05:05:00Z"),
                ("vtse41-miyagi-1.xml", "2026-11-27T05:05:12Z"),
            ],
        )
        jma.publish("extra", [("vpww54-yamagata.xml", "2026-11-27T01:20:30Z")])
        result = run_poller(jma, content, output, "2026-11-27 14:06", env, state)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 notice(s) written" in result.stdout and "2 outside Miyagi" in result.stdout
        assert "1 unreadable" in result.stdout
        assert re.search(
            r"jma: skipped \S+/data/vtse41-truncated\.xml: not well-formed", result.stderr
        )
        notice = (content / NOTICE).read_text("utf-8")
        assert "Severity: severe" in notice and "Area: 宮城県" in notice
        assert not list((content / "news").glob("*hokkaido*")) and "北海道" not in notice
        regions, links = every_banner(output)
        assert all("宮城県に津波警報が発表されています" in r for r in regions.values()), [
            p for p, r in regions.items() if "津波警報" not in r
        ]
        assert any(p.startswith("m/") for p in regions) and any(
            p.startswith("ne/") for p in regions
        )
        assert "/en/news/jma-tsunami-20261127140200/" in links
        assert "/m/news/jma-tsunami-20261127140200/" in links
        cap = (output / "emergency/cap/jma-tsunami-20261127140200.xml").read_text("utf-8")
        assert "<severity>Severe</severity>" in cap
        assert "宮城県に津波警報" in (output / "feeds/emergency.atom.xml").read_text("utf-8")
        mail = inbox(sink)
        assert sorted(mail) == [f"bousai-{n}@example.jp" for n in range(3)]  # not 観光
        assert all(len(m) == 1 for m in mail.values())
        assert (
            mail["bousai-0@example.jp"][0]["Subject"]
            == "【緊急情報】宮城県に津波警報が発表されています"
        )

        # the same feed again: asked with If-Modified-Since, nothing changes
        before = notice
        result = run_poller(jma, content, output, "2026-11-27 14:07", env, state)
        assert result.returncode == 0 and "0 report(s) fetched" in result.stdout
        assert "2 feed(s) unchanged" in result.stdout
        # the same report listed again under another entry (JMA lists it in two feeds)
        jma.publish("extra", [("vpww54-yamagata.xml", "2026-11-27T01:20:30Z")])
        (jma.folder / "data" / "vtse41-copy.xml").write_bytes(
            (FIXTURES / "vtse41-miyagi-1.xml").read_bytes()
        )
        jma.publish(
            "eqvol",
            [
                ("vtse41-miyagi-1.xml", "2026-11-27T05:05:12Z"),
                ("vtse41-copy.xml", "2026-11-27T05:05:13Z"),
            ],
        )
        result = run_poller(jma, content, output, "2026-11-27 14:08", env, state)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 already seen" in result.stdout and "0 notice(s) written" in result.stdout
        assert (content / NOTICE).read_text("utf-8") == before
        assert sum(len(m) for m in inbox(sink).values()) == 3

        # the update: 大津波警報 for 宮城県
        jma.publish(
            "eqvol",
            [
                ("vtse41-miyagi-1.xml", "2026-11-27T05:05:12Z"),
                ("vtse41-miyagi-2.xml", "2026-11-27T05:35:10Z"),
            ],
        )
        result = run_poller(jma, content, output, "2026-11-27 14:36", env, state)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Severity: extreme" in (content / NOTICE).read_text("utf-8")
        regions, _ = every_banner(output)
        assert all("宮城県に大津波警報が発表されています" in r for r in regions.values())
        assert all(len(m) == 2 for m in inbox(sink).values())

        # the cancellation lifts the banner everywhere
        jma.publish("eqvol", [("vtse41-miyagi-3.xml", "2026-11-27T07:00:08Z")])
        result = run_poller(jma, content, output, "2026-11-27 16:01", env, state)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 live" in result.stdout
        notice = (content / NOTICE).read_text("utf-8")
        assert "Expires_at: 2026-11-27 16:00" in notice and "解除されました" in notice
        regions, _ = every_banner(output)
        assert not any("津波" in r for r in regions.values())
        mail = inbox(sink)
        assert all(len(m) == 3 for m in mail.values())
        assert (
            mail["bousai-1@example.jp"][-1]["Subject"]
            == "【解除】宮城県の大津波警報は解除されました"
        )
        saved = json.loads(state.read_text("utf-8"))
        assert "tsunami|20261127140200|3" in saved["reports"]
    finally:
        jma.stop()


def test_a_warning_jma_never_lifts_comes_down_when_it_expires(tmp_path):
    content = make_content(tmp_path, FILES)
    output = tmp_path / "output"
    assert run_build(content, output, now="2026-11-27 10:00").returncode == 0
    state = tmp_path / "jma-state.json"
    env = {k: v for k, v in os.environ.items() if k != "HIROBA_MAIL"}
    jma = JmaServer(tmp_path / "jma")
    try:
        jma.publish("eqvol", [])
        jma.publish("extra", [("vpww54-miyagi.xml", "2026-11-27T01:12:30Z")])
        result = run_poller(jma, content, output, "2026-11-27 10:13", env, state)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "mail: HIROBA_MAIL is not set" in result.stdout
        (notice,) = (content / "news").glob("jma-weather-*.md")
        text = notice.read_text("utf-8")
        assert "Severity: severe" in text and "Area: 仙台市、石巻市、塩竈市" in text
        assert "Expires_at: 2026-11-28 10:12" in text  # no ValidDateTime: 24 hours
        regions, _ = every_banner(output)
        assert all("宮城県に大雨警報・雷注意報が発表されています" in r for r in regions.values())
        # a day later JMA has said nothing more: the next poll lifts the banner
        result = run_poller(jma, content, output, "2026-11-28 10:13", env, state)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"expired {notice.as_posix()}" in result.stdout and "0 live" in result.stdout
        regions, _ = every_banner(output)
        assert not any("大雨警報" in r for r in regions.values())
        # and only once
        result = run_poller(jma, content, output, "2026-11-28 10:14", env, state)
        assert "expired" not in result.stdout and "emergency:" not in result.stdout
    finally:
        jma.stop()

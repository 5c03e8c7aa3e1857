"""Files as editors save them (Windows encodings, line endings, stray files) and the raw HTML
policy: each malformed file gives its message at the right path:line, never a traceback."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT, make_content, notice, run_build

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
WINDOWS = notice("windows", "県庁舎の見学会", body="## 日時\n\n見学会は12月5日に開きます。")


def bom_crlf(text):
    """The notice as Notepad saves it: UTF-8 with a BOM, lines ending in CRLF."""
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")


def write(content, files):
    for relpath, data in files.items():
        path = content / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def reported(result):
    found = set()
    for line in result.stderr.splitlines():
        if "/content/" not in line or ": " not in line:
            continue
        location, _, rest = line.partition(": ")
        path, _, number = location.rpartition(":")
        rule = rest.rsplit("[", 1)[1].rstrip("]")
        found.add((path.split("/content/", 1)[1], int(number), rule))
    return found


# ---------------------------------------------------------------- encodings and binary files

ENCODINGS = {
    "news/shift-jis.md": notice("shift-jis", "入札の結果", body="①落札者を公表します。").encode(
        "cp932"
    ),
    "news/picture.md": PNG,
    "news/stray.png": PNG,
    "news/good.md": notice("good", "正しい記事").encode("utf-8"),
    "images/map.svg": b'<svg xmlns="http://www.w3.org/2000/svg"\n  onload="alert(1)">\n</svg>\n',
    "images/clean.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>',
}


@pytest.fixture(scope="module")
def encodings(tmp_path_factory):
    base = tmp_path_factory.mktemp("encodings")
    content = make_content(base, {})
    write(content, ENCODINGS)
    return content, base / "output"


def test_shift_jis_and_binary_files_stop_the_build_with_one_line_each(encodings):
    content, output = encodings
    result = run_build(content, output)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert reported(result) == {
        ("news/shift-jis.md", 1, "encoding"),
        ("news/picture.md", 1, "not-text"),
        ("news/stray.png", 1, "stray-file"),
        ("images/map.svg", 2, "raw-html"),
    }
    lines = result.stderr.splitlines()
    sjis = next(line for line in lines if "shift-jis.md:1:" in line)
    assert "ファイルの文字コードが UTF-8 ではありません（Shift_JIS のようです）" in sjis
    assert "make fix" in sjis
    assert "PNG 画像のようです" in next(line for line in lines if "picture.md:1:" in line)
    assert not output.exists()


def test_make_check_reports_the_same_files(encodings):
    content, output = encodings
    result = run_build(content, output, command=("-m", "plugins.content_checks"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert ("news/shift-jis.md", 1, "encoding") in reported(result)


def test_utf16_is_named(tmp_path):
    content = make_content(tmp_path, {})
    write(content, {"news/notepad.md": notice("notepad", "お知らせ").encode("utf-16")})
    result = run_build(content, tmp_path / "output", command=("-m", "plugins.content_checks"))
    assert reported(result) == {("news/notepad.md", 1, "encoding")}
    assert "UTF-16 のようです" in result.stderr


# What editors save on Windows, as text: a notice, an emergency notice (its banner goes on
# every page) and a newsletter issue, each read by a different part of the build.
WINDOWS_SITE = {
    "news/windows.md": WINDOWS,
    "news/keiho.md": notice(
        "keiho",
        "大雨への警戒",
        extra="Emergency: true\nSeverity: severe\nArea: 県内全域\nExpires_at: 2026-11-28 14:05",
        body="## 避難の準備\n\n川に近づかないでください。",
    ),
    "newsletter/2026-11-27-weekly.md": (
        "Title: メルマガ・みやぎ 11月27日号\nSlug: 2026-11-27-weekly\n"
        "Summary: 今週のお知らせです。\nDate: 2026-11-27 12:00\nNewsletter: weekly\n\n"
        "今週のお知らせをお届けします。\n"
    ),
}


def test_bom_and_crlf_build_exactly_like_plain_utf8_and_a_stray_image_is_a_warning(tmp_path):
    windows = make_content(tmp_path / "windows", {})
    write(windows, {path: bom_crlf(text) for path, text in WINDOWS_SITE.items()})
    write(windows, {"news/photo.png": PNG})
    plain = make_content(tmp_path / "plain", WINDOWS_SITE)
    result = run_build(windows, tmp_path / "windows" / "output")
    assert result.returncode == 0, result.stderr
    assert reported(result) == {("news/photo.png", 1, "stray-file")}
    assert "warning: このファイルは公開されません" in result.stderr
    assert run_build(plain, tmp_path / "plain" / "output").returncode == 0

    def files(output):
        return {
            p.relative_to(output).as_posix(): p.read_bytes()
            for p in output.rglob("*")
            if p.is_file()
        }

    built, expected = files(tmp_path / "windows" / "output"), files(tmp_path / "plain" / "output")
    assert sorted(built) == sorted(expected)
    assert [name for name in built if built[name] != expected[name]] == []
    page = built["news/windows/index.html"].decode()
    assert "見学会は12月5日に開きます。" in page and "category/kensei" in page  # Category read
    assert "大雨への警戒" in page  # the emergency banner: its front matter was read too
    assert "newsletter/2026-11-27-weekly/issue.json" in built


# ---------------------------------------------------------------- raw HTML and unsafe URLs

EDITOR_FILE_RULES = {"encoding", "not-text", "stray-file", "raw-html", "unsafe-url"}

# relative path -> (bytes, [(line, rule)])
POLICY = {
    "news/bom.md": (bom_crlf(notice("bom", "BOMつきの記事")), []),
    "news/crlf.md": (notice("crlf", "改行がCRLFの記事").replace("\n", "\r\n").encode(), []),
    "news/script.md": (
        notice("script", "スクリプト", body="本文です。\n\n<script>alert(1)</script>").encode(),
        [(10, "raw-html")],
    ),
    "news/iframe.md": (
        notice(
            "iframe",
            "埋め込み",
            body='<iframe src="https://www.youtube.com/embed/x" title="動画"></iframe>',
        ).encode(),
        [(8, "raw-html")],
    ),
    "news/javascript.md": (
        notice(
            "javascript", "危ないリンク", body="[申請はこちらの窓口](javascript:alert(1))"
        ).encode(),
        [(8, "unsafe-url")],
    ),
    "news/obfuscated.md": (
        notice(
            "obfuscated",
            "隠したリンク",
            body="[申請の窓口](JaV&#x09;aScRiPt:alert(1))\n\n[様式の一覧][form]\n\n[form]: vbscript:msgbox(1)",
        ).encode(),
        [(8, "unsafe-url"), (12, "unsafe-url")],
    ),
    "news/handler.md": (
        notice(
            "handler",
            "イベント属性",
            body='<img src="/images/x.svg" alt="県庁" onerror="alert(1)">',
        ).encode(),
        [(8, "raw-html"), (8, "broken-link")],
    ),
    "news/attr-list.md": (
        notice(
            "attr-list", "属性リスト", body="見学会のご案内です。\n{: onclick=alert(1) }"
        ).encode(),
        [(9, "raw-html")],
    ),
    "news/data-image.md": (
        notice(
            "data-image", "データURL", body="![県庁の外観](data:image/svg+xml;base64,PHN2Zz4=)"
        ).encode(),
        [(8, "unsafe-url")],
    ),
    "news/summary.md": (
        notice("summary", "要約の中のHTML")
        .replace(
            "Summary: 要約の中のHTMLの要約です。", 'Summary: <a href="javascript:alert(1)">要約</a>'
        )
        .encode(),
        [(5, "unsafe-url")],
    ),
    "news/malformed-url.md": (
        notice("malformed-url", "形の崩れたURL", body="[県の案内](http://[oops/)").encode(),
        [(8, "broken-link")],  # urlsplit raised ValueError: a traceback before
    ),
    "newsletter/2026-11-20-weekly.md": (
        (
            "Title: メルマガ・みやぎ 11月20日号\nSlug: 2026-11-20-weekly\n"
            "Summary: 今週のお知らせです。\nDate: 2026-11-20 12:00\nNewsletter: weekly\n\n"
            '今週のお知らせです。\n\n<img src="/images/x.svg" alt="地図" onload="alert(1)">\n'
        ).encode(),
        [(9, "raw-html")],
    ),
    # Only what Python-Markdown reads as a fenced code block is code: after an unclosed,
    # indented or malformed fence the HTML is published, so it is checked
    "news/fence-unclosed.md": (
        notice(
            "fence-unclosed",
            "閉じないフェンス",
            body="本文です。\n\n```\n\n<script>alert(1)</script>",
        ).encode(),
        [(12, "raw-html")],
    ),
    "news/fence-indented.md": (
        notice(
            "fence-indented",
            "字下げしたフェンス",
            body="本文です。\n\n    ```\n<script>alert(1)</script>\n    ```",
        ).encode(),
        [(11, "raw-html")],
    ),
    "news/fence-malformed.md": (
        notice(
            "fence-malformed",
            "形の違うフェンス",
            body="本文です。\n\n```` ```\n\n<script>alert(1)</script>\n\n````",
        ).encode(),
        [(12, "raw-html")],
    ),
    "news/fence-code.md": (
        notice(
            "fence-code",
            "コードの例",
            body="書き方の例です。\n\n```html\n<script>alert(1)</script>\n```",
        ).encode(),
        [],
    ),
    "news/allowed.md": (
        notice(
            "allowed",
            "使えるHTML",
            body='<ruby>亘理<rt>わたり</rt></ruby>町の<abbr title="地方公共団体情報システム機構">J-LIS</abbr>。'
            '<kbd>Enter</kbd>を押します。<span lang="en">Miyagi</span>。'
            "\n\n`<script>` はコードとして書けます。\n\n<https://www.pref.miyagi.jp/>",
        ).encode(),
        [],
    ),
}


@pytest.fixture(scope="module")
def policy_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("policy")
    content = make_content(base, {})
    write(content, {path: data for path, (data, _) in POLICY.items()})
    return run_build(content, base / "output")


def test_raw_html_and_script_urls_are_refused_with_path_and_line(policy_run):
    assert policy_run.returncode == 1
    assert "Traceback" not in policy_run.stdout + policy_run.stderr
    expected = {(path, line, rule) for path, (_, hits) in POLICY.items() for line, rule in hits}
    assert reported(policy_run) == expected


def test_messages_say_what_is_refused(policy_run):
    lines = policy_run.stderr.splitlines()

    def line_for(name):
        return next(line for line in lines if f"/{name}.md:" in line)

    assert "<script>" in line_for("script")
    assert "<iframe>" in line_for("iframe") and "リンク" in line_for("iframe")
    assert "javascript:alert(1" in line_for("javascript")
    assert "onerror" in next(line for line in lines if "handler.md:" in line and "raw-html" in line)


def test_github_format_annotates_each_line(tmp_path):
    content = make_content(tmp_path, {})
    write(content, {path: POLICY[path][0] for path in ("news/script.md", "news/bom.md")})
    write(content, {"news/stray.png": PNG})
    result = run_build(
        content,
        tmp_path / "output",
        command=("-m", "plugins.content_checks", "--format", "github"),
    )
    assert result.returncode == 1
    annotations = [line for line in result.stderr.splitlines() if line.startswith("::")]
    assert len(annotations) == 2, result.stderr
    warning, error = annotations
    assert (
        warning.startswith("::warning file=")
        and "/news/stray.png,line=1,title=stray-file::" in warning
    )
    assert error.startswith("::error file=") and "/news/script.md,line=10,title=raw-html::" in error
    assert error.endswith("[raw-html]") and "<script>" in error


def test_every_rule_left_to_this_file_has_a_fixture_here():
    """test_content_checks leaves EDITOR_FILE_RULES to this module."""
    covered = {"encoding", "not-text", "stray-file"}  # test_shift_jis_and_binary_files…
    covered |= {rule for _, hits in POLICY.values() for _, rule in hits}
    assert covered >= EDITOR_FILE_RULES


# ---------------------------------------------------------------- make fix


def test_make_fix_prints_each_change_and_the_fixed_files_pass_the_checks(tmp_path):
    content = make_content(tmp_path, {})
    broken = notice(
        "windows-tool",
        "ｾﾐﾅｰのご案内",
        body="①申込みは２０２６/12/1まで。\n\n会場は ㈱宮城 の お 知 ら せ をご覧ください。",
    )
    write(content, {"news/windows-tool.md": broken.replace("\n", "\r\n").encode("cp932")})
    before = run_build(content, tmp_path / "output", command=("-m", "plugins.content_checks"))
    assert reported(before) == {("news/windows-tool.md", 1, "encoding")}
    assert "うち 1 件は make fix で直せます" in before.stderr
    fixed = subprocess.run(
        [sys.executable, "-m", "plugins.content_checks.fix", str(content)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    path = f"{content}/news/windows-tool.md"
    assert fixed.stdout.splitlines() == [
        f"{path}:1: Shift_JIS → UTF-8",
        f"{path}:1: ｾﾐﾅｰ → セミナー",
        f"{path}:5: ｾﾐﾅｰ → セミナー",
        f"{path}:8: ① → (1)",
        f"{path}:8: ２０２６ → 2026",
        f"{path}:8: 2026/12/1 → 2026年12月1日",
        f"{path}:10: ㈱ → （株）",
        f"{path}:10: の お 知 ら せ → のお知らせ",
        "make fix: 8 件を修正しました（1 ファイル）",
    ]
    after = run_build(content, tmp_path / "output", command=("-m", "plugins.content_checks"))
    assert after.returncode == 0, after.stderr
    text = (content / "news" / "windows-tool.md").read_bytes().decode("utf-8")
    assert "(1)申込みは2026年12月1日まで。\r\n" in text and "（株）宮城 のお知らせ" in text


def test_links_and_folders_that_look_like_pages_give_no_traceback(tmp_path):
    content = make_content(tmp_path, {"news/good.md": notice("good", "正しい記事")})
    (content / "news" / "folder.md").mkdir()
    (content / "news" / "moved.md").symlink_to(content / "news" / "gone.md")
    for command in (("-m", "pelican"), ("-m", "plugins.content_checks")):
        result = run_build(content, tmp_path / "output", command=command)
        assert result.returncode == 1
        assert "Traceback" not in result.stdout + result.stderr
        assert reported(result) == {("news/moved.md", 1, "not-text")}
        assert "ファイルを読めません" in result.stderr


def test_a_broken_registry_stops_the_build_with_path_and_line(tmp_path):
    cases = {
        "taxonomy.toml": ('[categories]\n"県政" = "kensei"\n'.encode("cp932"), 1),
        "departments.toml": (b'[koho]\nname = "x"\n[soumu\n', 3),
        "furigana.toml": ('名取 = "なとり"\n'.encode("cp932"), 1),
    }
    for name, (data, line) in cases.items():
        content = make_content(tmp_path / name, {"news/good.md": notice("good", "正しい記事")})
        (content / "registry" / name).write_bytes(data)
        result = run_build(content, tmp_path / name / "output")
        assert result.returncode == 1, name
        assert "Traceback" not in result.stdout + result.stderr, name
        assert f"content/registry/{name}:{line}: " in result.stdout + result.stderr, name

"""Each content rule stops the build on a bad fixture, naming the file and line."""

import pytest

from plugins.content_checks import content_checks
from tests.conftest import make_content, notice, run_build

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'

# relative path -> (file text, [(line, rule)] that the checks must report, and nothing else)
BAD = {
    "news/unknown-field.md": (
        notice("unknown-field", "未知の項目", extra="Dat: 2026-11-01"),
        [(7, "unknown-field")],
    ),
    "news/missing-field.md": (
        "Title: 要約のない記事\nDate: 2026-11-01\nCategory: 県政・行財政\nSlug: missing-field\nDepartment: koho\n\n本文です。\n",
        [(1, "missing-field")],
    ),
    "news/bad-date.md": (notice("bad-date", "日付の誤り", date="2026-13-45"), [(2, "bad-date")]),
    "news/bad-value.md": (
        notice("bad-value", "分類の誤り").replace("県政・行財政", "県政"),
        [(3, "bad-value")],
    ),
    "news/duplicate-a.md": (notice("same-slug", "同じスラッグ1"), []),
    "news/duplicate-b.md": (
        notice("same-slug", "同じスラッグ2"),
        [(4, "duplicate-slug"), (4, "duplicate-output")],
    ),
    "pages/about/collision.md": (
        "Title: 出力先の重複\nSlug: collision\nSave_as: news/index.html\nSummary: 要約。\nDepartment: koho\nDate: 2026-11-01\n\n本文です。\n",
        [(2, "duplicate-output")],
    ),
    "news/broken-link.md": (
        notice(
            "broken-link",
            "リンク切れ",
            body="本文です。\n\n[電子申請の案内]({filename}/news/nothing.md)を読んでください。",
        ),
        [(10, "broken-link")],
    ),
    "news/broken-site-link.md": (
        notice(
            "broken-site-link", "リンク切れ2", body="[県政の情報](/no-such-place/)を見てください。"
        ),
        [(8, "broken-link")],
    ),
    "news/missing-image.md": (
        notice("missing-image", "画像がない", body="![県庁の外観](/images/none.png)"),
        [(8, "broken-link")],
    ),
    "news/image-no-alt.md": (
        notice("image-no-alt", "代替テキストなし", body="![](/images/kencho.svg)"),
        [(8, "image-alt-missing")],
    ),
    "news/alt-file-name.md": (
        notice(
            "alt-file-name",
            "代替テキストがファイル名",
            body='<img src="/images/kencho.svg" alt="IMG_0012.jpg">',
        ),
        [(8, "image-alt-file-name")],
    ),
    "news/alt-vague.md": (
        notice("alt-vague", "代替テキストが写真だけ", body="![写真](/images/kencho.svg)"),
        [(8, "image-alt-vague")],
    ),
    "news/heading-skip.md": (
        notice("heading-skip", "見出しの飛び", body="## 概要\n\n本文。\n\n#### 詳細\n\n本文。"),
        [(12, "heading-level")],
    ),
    "news/heading-one.md": (
        notice("heading-one", "見出し1", body="# 大見出し\n\n本文。"),
        [(8, "heading-level")],
    ),
    "news/machine-dependent.md": (
        notice("machine-dependent", "機種依存文字", body="①申請書を出します。"),
        [(8, "machine-dependent-character")],
    ),
    "news/machine-title.md": (
        notice("machine-title", "㈱宮城の入札"),
        [(1, "machine-dependent-character"), (5, "machine-dependent-character")],
    ),
    "news/half-width-kana.md": (
        notice("half-width-kana", "半角カナ", body="ｼﾝｾｲ書を出します。"),
        [(8, "half-width-katakana")],
    ),
    "news/full-width.md": (
        notice("full-width", "全角英数", body="ＬＧＷＡＮを使います。"),
        [(8, "full-width-alphanumeric")],
    ),
    "news/spaced-word.md": (
        notice("spaced-word", "語中の空白", body="県からの お 知 ら せ です。"),
        [(8, "space-in-word")],
    ),
    "news/vague-link.md": (
        notice("vague-link", "あいまいなリンク", body="一覧は[こちら](/news/)。"),
        [(8, "link-text-vague")],
    ),
    "news/slash-date.md": (
        notice("slash-date", "日付の書き方", body="受付は2026/1/2からです。"),
        [(8, "date-format")],
    ),
    "news/layout-table.md": (
        notice(
            "layout-table",
            "レイアウト表",
            body="<table><caption>配置</caption><tr><td>左</td><td>右</td></tr></table>",
        ),
        [(8, "layout-table")],
    ),
    "news/table-no-caption.md": (
        notice(
            "table-no-caption",
            "キャプションのない表",
            body="| 指標 | 値 |\n|---|---|\n| 利用率 | 30% |",
        ),
        [(8, "table-caption")],
    ),
    "news/mandatory.md": (
        notice("mandatory", "避難所の開設").replace("県政・行財政", "防災・危機管理"),
        [(3, "missing-translation")],
    ),
    "news/easy-long.easy.md": (
        notice(
            "easy-long",
            "ながい ぶん",
            extra="Lang: easy",
            body="けんの でんししんせいサービスでは、しちょうそんの てつづきも いっしょに うけつけて いて、いえから いつでも もうしこみが できるように なって います。",
        ),
        [(9, "easy-sentence-length")],
    ),
    "news/easy-kanji.easy.md": (
        notice(
            "easy-kanji",
            "かんじ",
            extra="Lang: easy",
            body="宮城県電子申請利用促進計画策定委員会議事録公開です。",
        ),
        [(9, "easy-kanji")],
    ),
    "news/easy-warn.easy.md": (
        notice(
            "easy-warn",
            "ちゅうい",
            extra="Lang: easy",
            body="でんししんせいは、いえの パソコンや スマートフォンから いつでも つかえます。",
        ),
        [(9, "easy-sentence-length")],
    ),
    "news/easy-ending.easy.md": (
        notice("easy-ending", "おわり", extra="Lang: easy", body="あしたは あめだ。"),
        [(9, "easy-ending")],
    ),
    "news/easy-double.easy.md": (
        notice(
            "easy-double", "ひてい", extra="Lang: easy", body="てつづきが できないことはないです。"
        ),
        [(9, "easy-double-negative")],
    ),
    "news/easy-honorific.easy.md": (
        notice("easy-honorific", "けいご", extra="Lang: easy", body="しりょうを ご覧になります。"),
        [(9, "easy-honorific")],
    ),
}
GOOD = {
    "news/good.md": (
        notice(
            "good",
            "正しい記事",
            body="## 概要\n\n[お知らせの一覧](/news/)と[県庁の外観図](/images/kencho.svg)。\n\n表: 目標\n\n| 指標 | 値 |\n|---|---|\n| 利用率 | 30% |\n\n村井 太郎 知事が説明しました。",
        ),
        [],
    ),
}


@pytest.fixture(scope="module")
def bad_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad")
    files = {path: text for path, (text, _) in {**BAD, **GOOD}.items()}
    content = make_content(base, files)
    (content / "images").mkdir()
    (content / "images" / "kencho.svg").write_text(SVG, "utf-8")
    return content, base / "output"


@pytest.fixture(scope="module")
def check_run(bad_site):
    content, output = bad_site
    return run_build(content, output, command=("-m", "plugins.content_checks"))


@pytest.fixture(scope="module")
def build_run(bad_site):
    content, output = bad_site
    return run_build(content, output)


def reported(result):
    lines = [line for line in result.stderr.splitlines() if ".md:" in line]
    found = set()
    for line in lines:
        location, _, rest = line.partition(": ")
        path, _, number = location.rpartition(":")
        relpath = path.split("/content/", 1)[1]
        rule = rest.rsplit("[", 1)[1].rstrip("]")
        found.add((relpath, int(number), rule))
    return found


def test_easy_japanese_length_over_30_is_only_a_warning(check_run):
    warnings = [line for line in check_run.stderr.splitlines() if ": warning: " in line]
    assert any("easy-warn.easy.md:9: warning: 文が長めです" in line for line in warnings)
    assert not any("easy-long.easy.md" in line for line in warnings)  # over 50 is an error


def expected():
    return {(path, line, rule) for path, (_, hits) in BAD.items() for line, rule in hits}


def test_make_check_reports_every_rule_with_path_and_line(check_run):
    assert check_run.returncode == 1
    assert reported(check_run) == expected()


def test_build_stops_with_the_same_messages_and_no_traceback(build_run):
    assert build_run.returncode != 0
    assert reported(build_run) == expected()
    assert "Traceback" not in build_run.stdout + build_run.stderr
    assert "nothing was published" in build_run.stderr


# rules whose fixtures are bytes or need a build of their own: tests/site/test_editor_files.py
EDITOR_FILE_RULES = {"encoding", "not-text", "stray-file", "raw-html", "unsafe-url"}


def test_every_rule_has_a_fixture():
    covered = {rule for _, hits in BAD.values() for _, rule in hits}
    assert set(content_checks.RULES) == covered | EDITOR_FILE_RULES


def test_good_content_passes(tmp_path):
    content = make_content(tmp_path, {p: t for p, (t, _) in GOOD.items()})
    (content / "images").mkdir()
    (content / "images" / "kencho.svg").write_text(SVG, "utf-8")
    result = run_build(content, tmp_path / "output")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "output" / "news" / "good" / "index.html").read_text("utf-8")
    assert "<caption>目標</caption>" in page

"""A mistake in the procedure catalogue, the 団体 registry or the paper counts stops `make check` and the build
with `path:line: message`, never a traceback (the rules themselves: tests/unit/test_catalogue.py)."""

import pytest

from tests.conftest import make_content, notice, run_build


def _break(path, old, new):
    text = path.read_text("utf-8")
    path.write_text(text.replace(old, new, 1), "utf-8")
    return text.count("\n", 0, text.index(old)) + 1


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    base = tmp_path_factory.mktemp("catalogue")
    content = make_content(base, {"news/ok.md": notice("ok", "電子申請のお知らせ")})
    registry = content / "registry"
    lines = {
        "procedures.toml": _break(
            registry / "procedures.toml", 'dantai = "041009"', 'dantai = "041008"'
        ),
        "dantai.toml": _break(registry / "dantai.toml", 'phone = "0225-54-3131"', 'phone = "054"'),
        "paper_counts.toml": _break(
            registry / "paper_counts.toml", "# 2026 = 1520", "[nozei-shomei]\n2026 = -1520"
        )
        + 1,  # the count is on the line after the table's header
    }
    return content, base / "output", lines


def _expected(content, lines):
    return [f"{content}/registry/{name}:{line}: " for name, line in sorted(lines.items())]


@pytest.mark.parametrize("command", [("-m", "plugins.content_checks"), ("-m", "pelican")])
def test_make_check_and_the_build_stop_at_the_line(broken, command):
    content, output, lines = broken
    result = run_build(content, output, command=command)
    assert result.returncode == 1, result.stderr
    reported = [line for line in result.stderr.splitlines() if "/registry/" in line]
    assert len(reported) == 3, result.stderr
    for line, start in zip(reported, _expected(content, lines), strict=True):
        assert line.startswith(start) and line.endswith("[bad-value]"), line
    assert "団体コード 041008 は6桁で、最後の検査数字が合いません" in result.stderr
    assert "2026年度の件数は0以上の整数で書きます" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (output / "index.html").exists()

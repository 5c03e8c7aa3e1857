"""The departments' paper counts (registry/paper_counts.toml): read by fiscal year, and every
mistake reported by the build's check at its path:line."""

import shutil
from pathlib import Path

import pytest

from hiroba_core import catalogue, paper_counts
from plugins.content_checks import catalogue_check

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "content" / "registry"
COUNTS = """\
# 書面の件数
[nozei-shomei]
2025 = 1520
2026 = 1480

[sendai-jumin-yuso]
2026 = 9800
"""


@pytest.fixture
def content(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(REGISTRY, root / "registry")
    shutil.copytree(
        ROOT / "content" / "pages" / "municipalities", root / "pages" / "municipalities"
    )
    (root / "registry" / paper_counts.FILE_NAME).write_text(COUNTS, "utf-8")
    return root


def test_the_shipped_registry_passes_and_a_recorded_file_reads_by_fiscal_year(content):
    assert catalogue_check.problems(ROOT / "content") == []
    assert catalogue_check.problems(content) == []
    procedures = catalogue.load(content / "registry" / catalogue.FILE_NAME)
    assert paper_counts.parse(COUNTS, procedures) == {
        "nozei-shomei": {2025: 1520, 2026: 1480},
        "sendai-jumin-yuso": {2026: 9800},
    }


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "[sendai-jumin-yuso]",
            "[sendai-juminhyo]",
            6,
            "手続「sendai-juminhyo」は procedures.toml にありません",
        ),
        ("2026 = 1480", "2026 = -3", 4, "2026年度の件数は0以上の整数で書きます"),
        ("2026 = 1480", '2026 = "1480件"', 4, "2026年度の件数は0以上の整数で書きます"),
        ("2025 = 1520", "20255 = 1520", 3, "年度「20255」は 2026 のように西暦の4桁で書きます"),
        ("2026 = 9800", "2026 = 9800\n2026 = 1", 8, "書き方に誤りがあります"),
    ],
)
def test_each_mistake_is_reported_at_its_line(content, old, new, line, message):
    path = content / "registry" / paper_counts.FILE_NAME
    path.write_text(COUNTS.replace(old, new, 1), "utf-8")
    found = catalogue_check.problems(content)
    assert len(found) == 1, found
    where, at, text = found[0]
    assert (where, at) == (str(path), line)
    assert message in text


def test_the_operator_tools_refuse_what_the_build_refuses(content):
    procedures = catalogue.load(content / "registry" / catalogue.FILE_NAME)
    with pytest.raises(catalogue.CatalogueError) as refused:
        paper_counts.parse(COUNTS.replace("2026 = 1480", "2026 = 1.5"), procedures)
    assert str(refused.value).startswith("paper_counts.toml:4: [nozei-shomei] 2026年度の件数")

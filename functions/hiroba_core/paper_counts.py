"""The paper counts: how many applications each procedure received on paper in a fiscal year
(年度), as departments record them in content/registry/paper_counts.toml.

With the online applications in the procedures table they give the plan's 電子申請利用率:
電子申請が可能な手続について、書面によるものを含む申請等の全体件数に占める電子申請件数の割合.
The file is checked by the build with the catalogue's line finder, so every problem is
`path:line`; the operator command that writes the indicators reads it with `parse`.

    [nozei-shomei]      # a procedure id of procedures.toml
    2026 = 1520         # fiscal year (年度, April to March) = applications received on paper
"""

from . import catalogue

FILE_NAME = "paper_counts.toml"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # a typo such as 20266 is refused rather than counted


def _parse(text, procedures):
    """({procedure id: {fiscal year: count}}, [Problem])."""
    data, faults = catalogue._toml(FILE_NAME, text)
    if data is None:
        return {}, faults
    c = catalogue._Checker(FILE_NAME, text)
    found = {}
    for pid, years in data.items():
        if not c.need(
            pid in procedures,
            pid,
            None,
            f"手続「{pid}」は {catalogue.FILE_NAME} にありません",
            f"unknown procedure {pid!r}",
        ):
            continue
        if not c.need(
            isinstance(years, dict),
            pid,
            None,
            "年度 = 件数 の表で書きます",
            "a table of fiscal year = count",
        ):
            continue
        counts = {}
        for year, count in years.items():
            good_year = c.need(
                year.isascii() and year.isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR,
                pid,
                year,
                f"年度「{year}」は 2026 のように西暦の4桁で書きます（2026年4月から翌年3月まで）",
                "the fiscal year in four digits, like 2026",
            )
            good_count = c.need(
                type(count) is int and count >= 0,
                pid,
                year,
                f"{year}年度の件数は0以上の整数で書きます",
                "the count must be a whole number, 0 or more",
            )
            if good_year and good_count:
                counts[int(year)] = count
        found[pid] = counts
    return found, faults + c.problems


def parse(text, procedures):
    """{procedure id: {fiscal year: paper count}}; CatalogueError listing every problem.
    `procedures` is the catalogue ({id: Procedure}) the ids must belong to."""
    found, faults = _parse(text, procedures)
    if faults:
        raise catalogue.CatalogueError(faults)
    return found


def problems(text, procedures):
    return _parse(text, procedures)[1]

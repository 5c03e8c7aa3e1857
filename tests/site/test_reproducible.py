"""Two builds of the same commit are byte-identical (search index included)."""

import hashlib

from tests.conftest import ROOT, run_build


def digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_builds_are_identical(site, tmp_path):
    again = tmp_path / "again"
    result = run_build(ROOT / "content", again, search=True)
    assert result.returncode == 0, result.stderr
    first, second = digest(site), digest(again)
    assert first.keys() == second.keys()
    assert [path for path in first if first[path] != second[path]] == []

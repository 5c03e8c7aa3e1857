"""Reading the Markdown in two processes (plugins/parallel_read) gives what one process reads."""

from pathlib import Path

from pelican.readers import Readers
from pelican.settings import read_settings

from plugins.parallel_read.parallel_read import read_in_two, read_some

ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_read_what_one_reads_with_the_same_settings(tmp_path):
    settings = read_settings(str(ROOT / "pelicanconf.py"))
    readers = Readers(settings)
    paths = sorted(str(p) for p in (ROOT / "content" / "news").glob("*.md"))[:40]
    broken = tmp_path / "broken.md"
    broken.write_text("Title: x\nDate: not a date\n\n本文\n", "utf-8")
    paths.append(str(broken))

    two = read_in_two(readers, paths, settings)
    one = read_some(readers, paths)

    assert len(one) == 40 and str(broken) not in one  # left to Pelican, which reports it
    assert two.keys() == one.keys()
    for path in one:
        assert two[path][0] == one[path][0]
        assert two[path][1].keys() == one[path][1].keys()
        assert str(two[path][1]["category"]) == str(one[path][1]["category"])
        assert two[path][1]["date"] == one[path][1]["date"]
    # half came through the pipe: their categories hold this build's settings, not a copy
    second = paths[1]
    assert two[second][1]["category"].settings is settings

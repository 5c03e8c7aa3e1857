"""The two writing processes (plugins/parallel_write): each unit written once, a barrier both
pass, and an error in the second process raised again in the first with its message."""

import os

import pytest

from plugins.mobile_site.mobile_site import MobileBuildError
from plugins.parallel_write.parallel_write import Lanes


def in_lanes(work):
    """Run work(lanes) in both processes; the second never returns into pytest."""
    lanes = Lanes(enabled=True)
    lanes.fork()
    try:
        work(lanes)
    except BaseException as error:
        lanes.fail(error)
        raise
    finally:
        if lanes.lane == 1:
            os._exit(3)  # only reached if work() did not end the second process itself
    return lanes


def test_each_unit_is_written_by_exactly_one_process(tmp_path):
    def work(lanes):
        for unit in range(41):
            if lanes.mine():
                (tmp_path / f"{unit}.{lanes.lane}").write_text("")
        lanes.finish()

    lanes = in_lanes(work)
    assert lanes.lane == 0 and not lanes.forked
    names = sorted(p.name for p in tmp_path.iterdir())
    assert sorted(int(name.split(".")[0]) for name in names) == list(range(41))
    assert {name.split(".")[1] for name in names} == {"0", "1"}


def test_the_barrier_waits_for_the_other_process(tmp_path):
    def work(lanes):
        if lanes.lane == 1:
            for n in range(200):  # slow enough that the first process would overtake it
                (tmp_path / f"{n}").write_text("x" * 1000)
        lanes.barrier()
        if lanes.lane == 0:
            assert len(list(tmp_path.iterdir())) == 200
        lanes.finish()

    in_lanes(work)


@pytest.mark.parametrize("where", ["before the barrier", "after the barrier"])
def test_an_error_in_the_second_process_fails_with_its_path_line_message(where):
    message = "content/news/x.md:10: 携帯版（Shift_JIS）で表示できない文字"

    def work(lanes):
        if where == "after the barrier":
            lanes.barrier()
        if lanes.lane == 1:
            raise MobileBuildError(message)
        if where == "before the barrier":
            lanes.barrier()
        lanes.finish()

    with pytest.raises(MobileBuildError) as raised:
        in_lanes(work)
    assert str(raised.value) == message


def test_another_error_in_the_second_process_keeps_its_traceback():
    def work(lanes):
        if lanes.lane == 1:
            {}["missing"]
        lanes.finish()

    with pytest.raises(KeyError) as raised:
        in_lanes(work)
    assert any("Traceback" in note and "missing" in note for note in raised.value.__notes__)


def test_an_error_in_the_first_process_stops_the_second(tmp_path):
    def work(lanes):
        if lanes.lane == 0:
            raise MobileBuildError("news/y.md:1: x")
        lanes.barrier()  # never passed: the first process stopped it
        (tmp_path / "written").write_text("")
        lanes.finish()

    with pytest.raises(MobileBuildError):
        in_lanes(work)
    assert not (tmp_path / "written").exists()


def test_one_process_when_disabled():
    lanes = Lanes(enabled=False)
    lanes.fork()
    assert not lanes.forked and all(lanes.mine() for _ in range(5))
    lanes.barrier()
    lanes.finish()

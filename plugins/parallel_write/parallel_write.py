"""Writing the site on both cores: after Pelican has read the content and made the context,
the build forks into two lanes that write the output between them.

Both lanes run every generator's `generate_output` on the same data, in the same order, so
they meet the same sequence of *units* (one page, one list, one generator's whole output)
and can share them out without talking: unit n is written by lane n % 2 (`mine`).

- Pelican's own generators write through the `Writer`; `LaneWriter` renders and writes only
  the lane's share of `write_file` / `write_feed` calls.
- A plugin generator that shares its work out itself says so with `WRITES_IN_LANES = True`
  and asks `mine(settings)` per unit (/m/ per page, the fallback pages per file); every
  other generator is one unit, run whole by one lane.
- `barrier(settings)` waits until both lanes got there (the fallback pages need every other
  page in the output first).
- After the last generator, the second lane reports to the first and exits; the first goes
  on alone to `finalized` (the search index). An error in the second lane (a broken page's
  `path:line: message`) is raised again in the first, so the build fails as it would on
  one core.

The output is the same bytes as on one core: each file is still rendered from the same
context by the same code, only in another process. PARALLEL_WRITE = False (or
HIROBA_PARALLEL=0) writes everything in one process.
"""

import contextlib
import os
import pickle
import signal
import sys
import traceback

from pelican import signals
from pelican.generators import ArticlesGenerator, PagesGenerator, TemplatePagesGenerator
from pelican.writers import Writer

from .. import settings as plugin_settings
from ..settings import Setting

SETTINGS = {"PARALLEL_WRITE": Setting(os.environ.get("HIROBA_PARALLEL", "1") == "1")}
# The build's lanes, kept in its own settings: nothing outlives the build.
LANES = "PARALLEL_WRITE_LANES"
# Pelican's generators: every file they write goes through the Writer.
THROUGH_WRITER = (ArticlesGenerator, PagesGenerator, TemplatePagesGenerator)


class Lanes:
    """The two processes of one build's writing phase, seen from one of them."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.lane = 0  # 0: the process Pelican started; 1: the forked one
        self.other = None  # lane 0: the pid of lane 1
        self.units = 0
        self.send = self.receive = None  # pipe ends to and from the other lane

    @property
    def forked(self):
        return self.send is not None

    def fork(self):
        if not self.enabled or self.forked:
            return
        from_parent, to_child = os.pipe()  # (read end, write end)
        from_child, to_parent = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(to_child)
            os.close(from_child)
            self.lane, self.send, self.receive = 1, to_parent, from_parent
        else:
            os.close(from_parent)
            os.close(to_parent)
            self.other, self.send, self.receive = pid, to_child, from_child

    def mine(self):
        """Whether this process writes the next unit (both lanes ask in the same order)."""
        unit = self.units
        self.units += 1
        return not self.forked or unit % 2 == self.lane

    def barrier(self):
        """Wait until the other lane has written everything before this point too."""
        if not self.forked:
            return
        try:
            os.write(self.send, b".")
        except OSError:  # the other process has ended (with its error in the pipe)
            got = b""
        else:
            got = self._read(1)
        if got != b".":
            if self.lane == 1:
                os._exit(1)  # lane 0 failed: it reports its own error and stops this lane
            self._join(got + self._read_all())

    def finish(self):
        """After the last generator: lane 1 reports and exits, lane 0 waits for it."""
        if not self.forked:
            return
        if self.lane == 1:
            self._exit(b"ok")
        self._join(self._read_all())

    def fail(self, error):
        """An error in this lane: lane 1 hands it to lane 0; lane 0 stops lane 1."""
        if not self.forked:
            return
        if self.lane == 1:
            if not isinstance(error, SystemExit):
                # the traceback stays in this process: pass it on as text
                error.add_note("".join(traceback.format_exception(error)))
            try:
                message = pickle.dumps(error)
                pickle.loads(message)
            except Exception:
                message = pickle.dumps(RuntimeError("".join(traceback.format_exception(error))))
            self._exit(b"!" + message, status=1)
        self._stop_other()

    # ------------------------------------------------------------ internals

    def _read(self, size):
        try:
            return os.read(self.receive, size)
        except OSError:
            return b""

    def _read_all(self):
        chunks = []
        while chunk := self._read(1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)

    def _join(self, result):
        """Lane 0: lane 1 has finished (b"ok") or failed (b"!" + its error): reap it."""
        _, status = os.waitpid(self.other, 0)
        self.other = None
        self._close()
        if result == b"ok" and status == 0:
            return
        if result.startswith(b"!"):
            raise pickle.loads(result[1:])
        raise RuntimeError(f"parallel_write: the second writing process stopped ({status})")

    def _stop_other(self):
        if self.other is not None:
            with contextlib.suppress(OSError):
                os.kill(self.other, signal.SIGTERM)
                os.waitpid(self.other, 0)
            self.other = None
        self._close()

    def _close(self):
        for fd in (self.send, self.receive):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.send = self.receive = None

    def _exit(self, message, status=0):
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.write(self.send, message)
        finally:
            os._exit(status)


def lanes(settings):
    """The build's lanes; one lane (write everything) for a generator run without a build."""
    return settings.get(LANES) or Lanes(enabled=False)


def mine(settings):
    return lanes(settings).mine()


def barrier(settings):
    lanes(settings).barrier()


def first_lane(settings):
    """Whether this is the process that goes on after the writing (to `finalized`)."""
    return lanes(settings).lane == 0


class LaneWriter(Writer):
    """Pelican's writer, rendering and writing only this lane's share of the files."""

    def write_file(self, name, *args, **kwargs):
        if mine(self.settings):
            return super().write_file(name, *args, **kwargs)
        return None

    def write_feed(self, *args, **kwargs):
        if mine(self.settings):
            return super().write_feed(*args, **kwargs)
        return None


def initialized(pelican):
    settings = plugin_settings.read(pelican.settings, SETTINGS)
    settings[LANES] = Lanes(enabled=settings["PARALLEL_WRITE"] and hasattr(os, "fork"))


def get_writer(pelican):
    return LaneWriter


def in_lanes(generators):
    """Wrap each generator's generate_output: the first forks, the last joins."""
    writing = [g for g in generators if hasattr(g, "generate_output")]
    if not writing:
        return
    state = lanes(writing[0].settings)
    for index, generator in enumerate(writing):
        generator.generate_output = _wrapped(
            generator, state, first=index == 0, last=index == len(writing) - 1
        )


def _wrapped(generator, state, first, last):
    original = generator.generate_output
    shares = isinstance(generator, THROUGH_WRITER) or getattr(generator, "WRITES_IN_LANES", False)

    def generate_output(writer):
        try:
            if first:
                state.fork()
            if shares or state.mine():
                original(writer)
            if last:
                state.finish()
        except BaseException as error:
            state.fail(error)
            raise

    return generate_output


def register():
    signals.initialized.connect(initialized)
    signals.get_writer.connect(get_writer)
    signals.all_generators_finalized.connect(in_lanes)

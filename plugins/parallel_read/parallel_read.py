"""Reading the Markdown on both cores: before Pelican reads the content one file after
another, two processes convert it (Markdown to HTML and metadata) half each, and Pelican's
readers find every result ready in their in-memory cache.

Pelican's reading loop, its content objects and every signal stay as they are: only
`reader.read(path)`, the Markdown conversion that is most of the reading time, is done
ahead (docs/benchmarks.md). Nothing is kept between builds (Pelican's own file cache stays
off for reproducible builds). A file that cannot be read here is left to Pelican, which
reports it as it always does. PARALLEL_READ = False (or HIROBA_PARALLEL=0) reads on one core.
"""

import io
import os
import pickle
import sys

from pelican import signals
from pelican.readers import _filter_discardable_metadata

from .. import settings as plugin_settings
from ..settings import Setting

SETTINGS = {"PARALLEL_READ": Setting(os.environ.get("HIROBA_PARALLEL", "1") == "1")}
# The results read ahead (absolute path -> (content, metadata)), kept in the build's own
# settings for the readers made after the first (each generator makes its own).
READ = "PARALLEL_READ_RESULTS"


class _Pickler(pickle.Pickler):
    """Metadata objects (categories, tags) hold the build's settings: they cross the pipe
    as a reference to the settings the other process already has, not as a copy."""

    def __init__(self, file, settings):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.settings = settings

    def persistent_id(self, obj):
        return "settings" if obj is self.settings else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, settings):
        super().__init__(file)
        self.settings = settings

    def persistent_load(self, pid):
        return self.settings


def sources(generator):
    """Absolute paths of the files the article and page generators will read, sorted."""
    settings = generator.settings
    found = generator.get_files(settings["ARTICLE_PATHS"], exclude=settings["ARTICLE_EXCLUDES"])
    found |= generator.get_files(settings["PAGE_PATHS"], exclude=settings["PAGE_EXCLUDES"])
    return sorted(os.path.abspath(os.path.join(generator.path, path)) for path in found)


def read_some(readers, paths):
    """{path: (content, metadata)} for the paths that read without an error."""
    done = {}
    for path in paths:
        reader = readers.readers.get(path.rsplit(".", 1)[-1])
        if reader is None:
            continue
        try:
            content, metadata = reader.read(path)
        except Exception:
            continue  # Pelican reads it again and reports the error
        done[path] = (content, _filter_discardable_metadata(metadata))
    return done


def halves(work, items, settings=None):
    """[work(items[0::2]), work(items[1::2])], the second half done by a forked process at
    the same time as the first here. Its result comes back pickled (references to
    `settings` as references to this process's own); if that process fails, the second
    half is done here after all, so the result is the same either way."""
    first, second = items[0::2], items[1::2]
    if not (second and hasattr(os, "fork")):
        return [work(first), work(second)]
    receive, send = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the second process: work, hand over, leave
        status = 1
        try:
            os.close(receive)
            buffer = io.BytesIO()
            _Pickler(buffer, settings).dump(work(second))
            with os.fdopen(send, "wb") as pipe:
                pipe.write(buffer.getvalue())
            status = 0
        finally:
            os._exit(status)
    os.close(send)
    here = work(first)
    with os.fdopen(receive, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status == 0 and data:
        return [here, _Unpickler(io.BytesIO(data), settings).load()]
    return [here, work(second)]


def read_in_two(readers, paths, settings):
    """{path: (content, metadata)} of every path that reads without an error, half each."""
    done = {}
    for half in halves(lambda some: read_some(readers, some), paths, settings):
        done.update(half)
    return done


def fill(readers, results):
    for path, data in results.items():
        readers._cache[path] = (readers._get_file_stamp(path), data)


def initialized(pelican):
    plugin_settings.read(pelican.settings, SETTINGS)
    pelican.settings.pop(READ, None)


def read_ahead(generator):
    """At the article generator's init (the first reader of content): read everything."""
    settings = generator.settings
    if not (settings["PARALLEL_READ"] and hasattr(os, "fork")):
        return
    settings[READ] = read_in_two(generator.readers, sources(generator), settings)
    fill(generator.readers, settings[READ])


def generator_made(generator):
    """Each later generator's readers (the pages') get the results too."""
    results = generator.settings.get(READ)
    if results and hasattr(generator, "readers"):
        fill(generator.readers, results)


def register():
    signals.initialized.connect(initialized)
    signals.article_generator_init.connect(read_ahead)
    signals.generator_init.connect(generator_made)

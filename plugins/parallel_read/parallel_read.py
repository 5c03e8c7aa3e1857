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


def read_in_two(readers, paths, settings):
    """Read paths[1::2] in a forked process and paths[0::2] here; all results."""
    receive, send = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the second process: read, hand over, leave
        status = 1
        try:
            os.close(receive)
            buffer = io.BytesIO()
            _Pickler(buffer, settings).dump(read_some(readers, paths[1::2]))
            with os.fdopen(send, "wb") as pipe:
                pipe.write(buffer.getvalue())
            status = 0
        finally:
            os._exit(status)
    os.close(send)
    done = read_some(readers, paths[0::2])
    with os.fdopen(receive, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status == 0 and data:
        done.update(_Unpickler(io.BytesIO(data), settings).load())
    # else: the files of the other half are read by Pelican, one after another
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

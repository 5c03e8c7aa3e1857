"""Shared fixtures: real Pelican builds (in a subprocess, as `make build` runs them)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every test build sees the same instant, so scheduled content is decided the same way.
NOW = "2026-11-27 12:00"


def run_build(
    content, output, now=NOW, search=False, command=("-m", "pelican"), settings="pelicanconf.py"
):
    """Build `content` into `output` with the project's pelicanconf; returns CompletedProcess."""
    env = {
        **os.environ,
        "HIROBA_CONTENT": str(content),
        "HIROBA_OUTPUT": str(output),
        "HIROBA_NOW": now,
        "HIROBA_SEARCH_INDEX": "1" if search else "0",
    }
    args = [sys.executable, *command, "-s", str(ROOT / settings)]
    if command[-1] != "pelican":
        args = [sys.executable, *command, str(ROOT / settings)]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The real site from content/, built once for the whole session (with search index)."""
    output = tmp_path_factory.mktemp("site") / "output"
    result = run_build(ROOT / "content", output, search=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return output


def make_content(base, files, tags=()):
    """A small content tree: the real registries plus the given {relative path: text}."""
    content = base / "content"
    shutil.copytree(ROOT / "content" / "registry", content / "registry")
    if tags:
        taxonomy = content / "registry" / "taxonomy.toml"
        extra = "".join(f'"{tag}" = "{tag}"\n' for tag in tags)
        taxonomy.write_text(taxonomy.read_text("utf-8") + extra, "utf-8")
    for relpath, text in files.items():
        path = content / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return content


def notice(slug, title, date="2026-11-01 09:00", extra="", body="本文です。", tags=""):
    lines = [
        f"Title: {title}",
        f"Date: {date}",
        "Category: 県政・行財政",
        f"Slug: {slug}",
        f"Summary: {title}の要約です。",
        "Department: johoseisaku",
    ]
    if tags:
        lines.append(f"Tags: {tags}")
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n\n" + body + "\n"

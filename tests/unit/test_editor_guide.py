"""Where editors look: the workflow that annotates pull requests, and the guide that explains
every message (docs/editors.md)."""

import re
import tomllib
from pathlib import Path

import yaml

from plugins.content_checks.content_checks import RULES

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "content.yml"


def test_every_pull_request_runs_the_annotated_checks_then_the_build():
    workflow = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    commands = [step["run"] for step in job["steps"] if "run" in step]
    assert commands.index("make check FORMAT=github") < commands.index("make build")


def test_it_uses_the_python_the_project_declares():
    workflow = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    (job,) = workflow["jobs"].values()
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert declared["requires-python"] == f">={setup['with']['python-version']}"


def test_the_editors_guide_explains_every_rule():
    guide = (ROOT / "docs" / "editors.md").read_text("utf-8")
    missing = [rule for rule in RULES if f"| `{rule}`" not in guide]
    assert not missing, f"docs/editors.md has no row for {missing}"


def test_the_guides_link_each_other_and_every_link_resolves():
    docs = ROOT / "docs"
    guide = (docs / "editors.md").read_text("utf-8")
    web_editor = guide.split("## 1. ", 1)[1].split("\n## ", 1)[0]
    assert "](web-editor.md)" in web_editor  # the web editor's section sends editors on
    for name in ("editors.md", "web-editor.md"):  # links to other guides (not examples)
        text = (docs / name).read_text("utf-8")
        for target in re.findall(r"\]\(([\w./-]+\.md)(?:#[^)]*)?\)", text):
            assert (docs / target).is_file(), f"docs/{name}: {target}"

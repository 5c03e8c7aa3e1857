"""The layers of docs/architecture.md, read from every import in the repository.

    infra/, bench/            operators' tools, local stack, AWS, edge   (may import anything)
    plugins/  |  functions/   the site build beside the apps             (never each other)
    functions/hiroba_core     the framework-free core                    (imports none of ours)

An import that points up, or two packages that import each other, fails here. Imports
inside functions count too: hiding one there does not change the arrow.
"""

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("publishing", "procedures", "console")
# What a module of the core may not import: it runs in the site build, in each Lambda and
# in the operators' tools, so it stays free of the frameworks of any one of them.
FRAMEWORKS = {"pelican", "chalice", "jinja2", "feedgenerator", "selenium", "moto", "aiosmtpd"}


def _modules():
    """{dotted name: path} of every Python module of ours outside tests/ (an app's modules
    are named app:<app>.…, as each app is its own root in its Lambda)."""
    found = {}

    def add(parts, path):
        parts = list(parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path

    for path in (ROOT / "functions").rglob("*.py"):
        parts = list(path.relative_to(ROOT / "functions").with_suffix("").parts)
        if parts[0] in APPS:
            parts[0] = f"app:{parts[0]}"
        add(parts, path)
    for folder in ("plugins", "infra", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            add(path.relative_to(ROOT).with_suffix("").parts, path)
    for name in ("pelicanconf", "publishconf"):
        add([name], ROOT / f"{name}.py")
    return found


MODULES = _modules()


def layer(name):
    top = name.split(".")[0]
    if top == "hiroba_core":
        return "core"
    if top in ("plugins", "pelicanconf", "publishconf"):
        return "site"
    if top == "hiroba_web" or top.startswith("app:"):
        return "apps"
    if top in ("infra", "bench"):
        return "top"
    raise AssertionError(f"{name}: a module outside the layers of docs/architecture.md")


def unit(name):
    """The package an arrow is drawn between: a plugin, an app, a folder of infra/ or of the
    core (hiroba_core.store, hiroba_core.domain, …)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] in ("plugins", "infra", "hiroba_core") else parts[0]


def _imports(name, path):
    """The modules of ours that `name` imports (resolved relative imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text("utf-8"), str(path))
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if name.startswith("app:") and module.startswith("chalicelib"):
                module = name.split(".")[0] + module[len("chalicelib") :]
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for target in targets:
            yield node.lineno, target


def _resolve(target):
    """The module of ours `target` names, or None for the standard library and packages."""
    while target:
        if target in MODULES:
            return target
        target = target.rpartition(".")[0]
    return None


def _edges():
    edges = []
    for name, path in MODULES.items():
        for line, target in _imports(name, path):
            resolved = _resolve(target)
            if resolved and resolved != name:
                edges.append((name, path, line, resolved, target))
    return edges


EDGES = _edges()
ALLOWED = {
    "core": {"core"},
    "site": {"core", "site"},
    "apps": {"core", "apps"},
    "top": {"core", "site", "apps", "top"},
}


def _shown(path, line):
    return f"{path.relative_to(ROOT)}:{line}"


def test_every_module_has_a_layer():
    assert len(MODULES) > 100
    for name in MODULES:
        layer(name)


def test_no_import_points_up():
    wrong = [
        f"{_shown(path, line)}: {layer(source)} module {source} imports {target} ({layer(to)})"
        for source, path, line, to, target in EDGES
        if layer(to) not in ALLOWED[layer(source)]
    ]
    assert not wrong, "\n".join(wrong)


def test_the_apps_do_not_import_each_other():
    wrong = [
        f"{_shown(path, line)}: {source} imports {target}"
        for source, path, line, to, target in EDGES
        if source.startswith("app:") and to.startswith("app:") and unit(source) != unit(to)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) == "core"))
def test_the_core_imports_no_framework(name):
    tree = ast.parse(MODULES[name].read_text("utf-8"))
    used = {
        (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and not getattr(node, "level", 0)
        for alias in node.names
    }
    assert not used & FRAMEWORKS, f"{name} imports {used & FRAMEWORKS}"


def test_no_two_packages_import_each_other():
    graph = defaultdict(set)
    for source, _, _, to, _ in EDGES:
        if unit(source) != unit(to):
            graph[unit(source)].add(unit(to))
    # Tarjan's strongly connected components: a component of two or more is a cycle
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in list(graph):
        if node not in index:
            visit(node)
    assert not cycles, cycles


def test_nothing_edits_sys_path():
    """The repository is installed (`pip install -e .`): imports need no path edits."""
    wrong = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "path"
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            ):
                wrong.append(_shown(path, node.lineno))
    assert not wrong, wrong


def test_functions_holds_only_what_ships_to_lambda():
    shipped = {p.name for p in (ROOT / "functions").iterdir() if not p.name.startswith(".")}
    assert shipped - {"__pycache__"} == {"hiroba_core", "hiroba_web", *APPS}


def test_the_checks_see_an_arrow_pointing_up(tmp_path):
    """The test above would catch one: the core importing a plugin is an edge it reports."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from plugins.emergency import emergency\n", "utf-8")
    ((_, target),) = list(_imports("hiroba_core.probe", probe))[:1]
    assert layer(_resolve(target)) == "site" and "site" not in ALLOWED["core"]

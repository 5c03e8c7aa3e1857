"""The content checks run exactly the rules of their registry: one class per rule in
plugins/content_checks/rules/, each listed once in rules.REGISTRY (a rule class left out of
it would never run, so it fails here)."""

import importlib
import inspect
import pkgutil

from plugins.content_checks import content_checks, rules
from plugins.content_checks.rules.rule import Rule, TextRule

HOOKS = ("check_file", "check_source", "check_sources", "check_text")


def rule_classes():
    """Every concrete rule class defined in a module of the rules package."""
    found = []
    for module_info in pkgutil.iter_modules(rules.__path__):
        module = importlib.import_module(f"{rules.__name__}.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Rule) and cls.__module__ == module.__name__ and cls.id:
                found.append(cls)
    return found


def test_every_rule_class_is_registered_once():
    registered = [type(rule) for rule in rules.REGISTRY]
    missing = [cls.__qualname__ for cls in rule_classes() if cls not in registered]
    assert not missing, f"rules not in rules.REGISTRY: {missing}"
    assert len(registered) == len(set(registered))
    assert set(registered) == set(rule_classes())


def test_every_rule_module_is_in_the_registry_module_list():
    modules = {m.name for m in pkgutil.iter_modules(rules.__path__)} - {"rule"}
    assert modules == {m.__name__.rsplit(".", 1)[1] for m in rules.MODULES}
    assert {"front_matter", "body", "characters", "easy_japanese", "translations"} <= modules


def checks_something(rule):
    cls = type(rule)
    if isinstance(rule, TextRule):
        return cls.check_text is not TextRule.check_text
    return any(getattr(cls, hook) is not getattr(Rule, hook) for hook in HOOKS[:3])


def test_each_rule_has_one_id_a_description_and_a_check():
    ids = [rule.id for rule in rules.REGISTRY]
    assert len(ids) == len(set(ids))
    assert {rule.id: rule.description for rule in rules.REGISTRY} == content_checks.RULES
    for rule in rules.REGISTRY:
        assert rule.description, rule.id
        assert checks_something(rule), f"{rule.id} checks nothing"


def test_a_rule_left_out_of_the_registry_does_not_run(tmp_path, monkeypatch):
    """What the registry test guards: the checks run the registry, not the classes."""
    page = tmp_path / "news" / "x.md"
    page.parent.mkdir()
    page.write_text("Title: ①\n\n本文です。\n", "utf-8")
    source = content_checks.read_source(page, tmp_path, ["news"])
    site = content_checks.Site(tmp_path, [], "", {}, {}, {}, ("ja",), set())
    found = {v.rule for v in content_checks.run_checks([source], site)}
    assert "machine-dependent-character" in found
    saved = rules.REGISTRY
    try:
        content_checks.REGISTRY = tuple(r for r in saved if r.id != "machine-dependent-character")
        found = {v.rule for v in content_checks.run_checks([source], site)}
    finally:
        content_checks.REGISTRY = saved
    assert "machine-dependent-character" not in found

"""Every example of every theme component renders to valid HTML."""

import ast
import re
from datetime import date
from pathlib import Path

import html5lib
import jinja2
import pytest
import yaml
from pelican.settings import read_settings

from plugins.gojuon.gojuon import gojuon
from plugins.multilingual.multilingual import Site
from plugins.wareki.wareki import FILTERS

# component folder -> the macro its examples call, where the names differ
MACROS = {"dates": "published"}
TEMPLATES = Path(__file__).resolve().parents[2] / "theme" / "templates"


def examples():
    for spec in sorted(TEMPLATES.glob("components/*/*.yaml")):
        for example in yaml.safe_load(spec.read_text("utf-8"))["examples"]:
            yield pytest.param(
                spec.parent.name, example["params"], id=f"{spec.parent.name}-{example['name']}"
            )


def pelican_environment():
    """The components' environment in the site build: filters and globals of the plugins."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(FILTERS, gojuon=gojuon)
    settings = read_settings(str(TEMPLATES.parents[1] / "pelicanconf.py"))
    Site(settings).install(environment)  # gettext, page_lang(), lurl(), local_date
    return environment


def render(environment, name, params):
    """One example: the component's macro called with the example's parameters."""
    module = environment.get_template(f"components/{name}/macro.html").module
    return str(getattr(module, MACROS.get(name, name))(**params))


@pytest.fixture(scope="module")
def env():
    return pelican_environment()


def test_every_component_has_an_example():
    folders = {p.name for p in (TEMPLATES / "components").iterdir() if p.is_dir()}
    documented = {p.parent.name for p in TEMPLATES.glob("components/*/*.yaml")}
    assert folders == documented


@pytest.mark.parametrize(("name", "params"), list(examples()))
def test_example_renders_valid_html(env, name, params):
    html = render(env, name, params)
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    parser.parseFragment(html)
    assert html.strip()
    for text in _leaf_strings(params):
        assert str(text) in html or isinstance(text, date)


def _leaf_strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaf_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaf_strings(v)
    elif isinstance(value, str) and not value.startswith(("/", "news/")) and "-" not in value:
        yield value


def test_the_apps_write_no_html_of_their_own():
    """Every page an app answers is a template of the theme (hiroba_web.templates): no HTML
    in the code of functions/hiroba_web or of the apps' routes, where escaping would be
    each caller's job, and no app with templates of its own."""
    markup = re.compile(
        r"</?(?:a|p|div|span|h[1-6]|form|input|button|select|option|textarea|label|fieldset"
        r"|legend|ul|ol|li|dl|dt|dd|table|tr|td|th|strong|br|hr|html|head|body|main)\b[^>]*>"
    )
    functions = TEMPLATES.parents[1] / "functions"
    wrong = [str(folder) for folder in functions.glob("*/chalicelib/templates")]
    code = [*functions.glob("hiroba_web/*.py"), *functions.glob("*/chalicelib/**/*.py")]
    for path in sorted(code):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and markup.search(text):
                wrong.append(f"{path.name}:{node.lineno}: {text[:60]!r}")
            # nor markup marked safe in Python to pass into a template (templates.py's
            # emergency_region filter is the one, for the edge's own region)
            names = [a.name for a in getattr(node, "names", [])]
            if "Markup" in names and path.name != "templates.py":
                wrong.append(f"{path.name}:{node.lineno}: imports Markup")
    assert not wrong, "\n".join(wrong)

"""The one route decorator (hiroba_web.http.api): each kind of error a route raises gets the
right answer — problem+json for programs, the page for browsers that posted a form — and
no route handles Problem or DomainError itself (so a new route falls into the pattern)."""

import ast
import inspect
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from chalice import Chalice, Response
from chalice.test import Client

from hiroba_core import errors, problems
from hiroba_web import pages
from hiroba_web.http import FORM, JSON, always, api, reads_html

ROOT = Path(__file__).resolve().parents[2]
RAISED = {
    "bad-json": lambda: problems.bad_json(),
    "not-found": lambda: errors.NotFound("consultation"),
    "validation": lambda: errors.ValidationFailed(
        [errors.FieldError("answers.q1", "ご意見を入力してください", "Enter your comment")]
    ),
    "rate-limited": lambda: errors.RateLimited(42),
    "unavailable": lambda: errors.StoreUnavailable(),
    "idempotency-conflict": lambda: errors.IdempotencyConflict(),
    "version-conflict": lambda: errors.VersionConflict(),
    "invalid-token": lambda: errors.InvalidToken(),
}
STATUS = {slug: problems.CATALOGUE[slug][0] for slug in RAISED}
HEADERS = {"rate-limited": {"Retry-After": "42"}, "unavailable": {"Retry-After": "30"}}


def page_of(problem, kind="", **_):
    """A page that says which problem and which route argument it was given."""
    return Response(
        body=f"page {problem.slug} {kind}",
        status_code=problem.status,
        headers={"Content-Type": "text/html; charset=utf-8", **problem.headers},
    )


def failing_page(problem, kind=""):
    raise errors.StoreUnavailable()


@pytest.fixture(scope="module")
def client():
    app = Chalice("route-errors")

    def raise_(kind):
        if kind == "crash":
            raise RuntimeError("a bug")
        raise RAISED[kind]()

    @app.route("/json/{kind}", methods=["POST"], content_types=[JSON, FORM])
    @api
    def json_only(kind):
        raise_(kind)

    @app.route("/form/{kind}", methods=["POST"], content_types=[JSON, FORM])
    @api(app, page=page_of)
    def form(kind):
        raise_(kind)

    @app.route("/page/{kind}", methods=["GET"])
    @api(app, page=page_of, browser=always)
    def page(kind):
        raise_(kind)

    @app.route("/link/{kind}", methods=["GET"])
    @api(app, page=page_of, browser=reads_html)
    def link(kind):
        raise_(kind)

    @app.route("/broken-page/{kind}", methods=["POST"], content_types=[FORM])
    @api(app, page=failing_page)
    def broken_page(kind):
        raise_(kind)

    @app.route("/summary", methods=["POST"], content_types=[FORM])
    @api(app, page=lambda problem: pages.error_page(problem, "/iken/open-one/"))
    def summary():
        raise RAISED["validation"]()

    @app.route("/fine", methods=["POST"], content_types=[FORM])
    @api(app, page=page_of)
    def fine():
        return Response(body="ok", status_code=200, headers={"Content-Type": "text/plain"})

    with Client(app) as test_client:
        yield test_client


JSON_POST = {"Content-Type": JSON}
BROWSER_POST = {"Content-Type": FORM, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
FORM_WITHOUT_HTML = {"Content-Type": FORM, "Accept": "application/json"}


def assert_problem(response, slug):
    assert response.status_code == STATUS.get(slug, 500), response.body
    assert response.headers["Content-Type"].startswith(problems.MEDIA_TYPE)
    body = json.loads(response.body)
    assert body["type"].endswith("/" + slug) and body["status"] == response.status_code
    assert body["title"] and body["title_en"]
    for name, value in HEADERS.get(slug, {}).items():
        assert response.headers[name] == value
    return body


def assert_page(response, slug, kind):
    assert response.status_code == STATUS[slug]
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.body.decode() == f"page {slug} {kind}"
    for name, value in HEADERS.get(slug, {}).items():
        assert response.headers[name] == value


@pytest.mark.parametrize("slug", sorted(RAISED))
def test_programs_get_problem_json(client, slug):
    for path in (f"/json/{slug}", f"/form/{slug}"):
        assert_problem(client.http.post(path, headers=JSON_POST, body="{}"), slug)
    # a form sent by a program that does not read HTML: still problem+json
    assert_problem(client.http.post(f"/form/{slug}", headers=FORM_WITHOUT_HTML, body="a=1"), slug)
    assert_problem(client.http.get(f"/link/{slug}", headers={"Accept": JSON}), slug)


@pytest.mark.parametrize("slug", sorted(RAISED))
def test_browsers_that_posted_a_form_get_the_page(client, slug):
    response = client.http.post(f"/form/{slug}", headers=BROWSER_POST, body="a=1")
    assert_page(response, slug, slug)
    # a route without a page answers browsers with problem+json too
    assert_problem(client.http.post(f"/json/{slug}", headers=BROWSER_POST, body="a=1"), slug)


@pytest.mark.parametrize("slug", sorted(RAISED))
def test_page_routes_answer_everyone_with_the_page(client, slug):
    assert_page(client.http.get(f"/page/{slug}", headers={"Accept": JSON}), slug, slug)
    assert_page(client.http.get(f"/link/{slug}", headers={"Accept": "text/html"}), slug, slug)


def test_anything_else_is_a_bare_500_never_a_page(client):
    for path, headers in (("/json/crash", JSON_POST), ("/form/crash", BROWSER_POST)):
        body = assert_problem(client.http.post(path, headers=headers, body="a=1"), "internal")
        assert "a bug" not in json.dumps(body)
    assert_problem(client.http.get("/page/crash"), "internal")


def test_an_error_while_making_the_page_is_answered_as_problem_json(client):
    response = client.http.post("/broken-page/not-found", headers=BROWSER_POST, body="a=1")
    assert_problem(response, "unavailable")


def test_the_real_error_page_links_each_field(client):
    response = client.http.post("/summary", headers=BROWSER_POST, body=urlencode({"a": "1"}))
    assert response.status_code == 422
    text = response.body.decode()
    assert "ご意見を入力してください" in text and "/iken/open-one/#" in text


def test_an_answer_passes_through_unchanged(client):
    response = client.http.post("/fine", headers=BROWSER_POST, body="a=1")
    assert (response.status_code, response.body) == (200, b"ok")


# ---------------------------------------------------------------- the pattern, by AST

DOMAIN_ERRORS = {
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, errors.DomainError)
}
NOT_CAUGHT_BY_ROUTES = DOMAIN_ERRORS | {"Problem", "Exception", "BaseException"}


def route_modules():
    found = sorted(ROOT.glob("functions/*/chalicelib/**/*.py"))
    return found + [ROOT / "functions/hiroba_web/meta.py"]


def _names(node):
    if node is None:
        return {"(bare except)"}
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(e) for e in node.elts))
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.Name):
        return {node.id}
    return set()


def _is_route(decorator):
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr == "route"
    )


def _is_api(decorator):
    """@api (publishing, procedures), or the console's @web.guarded / @web.public, which
    answer every error with a page the same way (hiroba_web.console)."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr in ("guarded", "public")
    return isinstance(target, ast.Name) and target.id == "api"


def test_no_route_module_catches_problem_or_domain_error_itself():
    modules = route_modules()
    assert len(modules) >= 8, modules
    caught = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ExceptHandler):
                names = _names(node.type) & (NOT_CAUGHT_BY_ROUTES | {"(bare except)"})
                if names:
                    caught.append(f"{path.relative_to(ROOT)}:{node.lineno}: {sorted(names)}")
    assert caught == [], "use @api(bp, page=…) instead:\n" + "\n".join(caught)


def test_every_route_has_the_decorator():
    routes, missing = 0, []
    for path in route_modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(map(_is_route, node.decorator_list)):
                routes += 1
                if not any(map(_is_api, node.decorator_list)):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert routes >= 20 and missing == [], missing


def test_the_ast_check_would_see_a_route_catching_an_error():
    source = "try:\n    pass\nexcept (problems.Problem, DomainError) as e:\n    pass\n"
    handler = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ExceptHandler))
    assert _names(handler.type) == {"Problem", "DomainError"}
    assert "NotFound" in NOT_CAUGHT_BY_ROUTES and "InvalidToken" in NOT_CAUGHT_BY_ROUTES

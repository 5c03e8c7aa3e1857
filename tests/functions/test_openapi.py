"""Each app serves its OpenAPI 3.1 description; the site carries the same file; and
schemathesis, generating requests from it, never gets a 5xx."""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from infra.local.stack import ROOT

from .conftest import Api

APPS = ("publishing", "procedures")


def spec(app):
    return json.loads((ROOT / "functions" / app / "chalicelib" / "openapi.json").read_text("utf-8"))


@pytest.mark.parametrize("app", APPS)
def test_app_serves_its_description_and_the_site_has_a_copy(stack, app):
    served = Api(stack.apps[app].url).request("GET", "/openapi.json").json()
    assert served == spec(app)
    assert served["openapi"].startswith("3.1")
    copy = ROOT / "content" / "documents" / "api" / f"{app}.openapi.json"
    assert json.loads(copy.read_text("utf-8")) == served, "run: python -m infra.tools openapi"


@pytest.mark.parametrize("app", APPS)
def test_schemathesis_finds_no_server_errors(stack, app):
    schema = schemathesis.openapi.from_dict(spec(app))
    base = stack.apps[app].url
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            headers = {"X-Forwarded-For": Api.client_ip()}
            response = case.call(base_url=base, headers=headers, timeout=10)
            if response.status_code >= 500:
                failures.append(
                    (case.method, case.formatted_path, response.status_code, response.text[:200])
                )
            content_type = (response.headers.get("content-type") or [""])[0]
            if response.status_code >= 400 and response.text:
                assert content_type.startswith(("application/problem+json", "text/html")), (
                    case.method,
                    case.formatted_path,
                    response.status_code,
                    response.text[:200],
                )

        check()
    assert not failures, failures

"""Deployment: each app's zip carries the shared library, not boto3, and imports in a clean
Python that has only Chalice; infra/ names each app's own table and nothing else."""

import json
import subprocess
import sys
import zipfile

import pytest

from infra.aws import template
from infra.aws.package import package
from infra.local.stack import ROOT

APPS = ("publishing", "procedures", "console")
HEALTH_EVENT = {
    "resource": "/health",
    "path": "/health",
    "httpMethod": "GET",
    "headers": {"Accept": "application/json"},
    "multiValueHeaders": {},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "stage": "api"},
    "body": None,
    "isBase64Encoded": False,
}


@pytest.fixture(scope="session")
def clean_python(tmp_path_factory):
    venv = tmp_path_factory.mktemp("clean") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "chalice==1.34.0"],
        check=True,
        capture_output=True,
    )
    return python


@pytest.mark.parametrize("app", APPS)
def test_package_imports_in_a_clean_python(app, clean_python, tmp_path):
    archive = package(app, tmp_path / "out", build_root=tmp_path / "build")
    names = zipfile.ZipFile(archive).namelist()
    for required in (
        "app.py",
        "hiroba_core/__init__.py",
        "hiroba_web/http.py",
        "jwt/__init__.py",
        "jinja2/__init__.py",
        "theme/templates/base.html",
        "theme/templates/app/receipt.html",
        "theme/translations/en/LC_MESSAGES/messages.mo",
    ):
        assert required in names
    assert "chalicelib/openapi.json" in names
    assert not any(n.startswith(("boto3/", "moto/", "infra/", "plugins/")) for n in names)
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(archive).extractall(unpacked)
    (unpacked / "event.json").write_text(json.dumps(HEALTH_EVENT))
    probe = (
        "import json, sys; sys.path.insert(0, '.'); import app; "
        "print(json.dumps(app.app(json.load(open('event.json')), None)))"
    )
    result = subprocess.run(
        [str(clean_python), "-I", "-c", probe],
        cwd=unpacked,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout.strip().splitlines()[-1])
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"status": "ok"}
    # the apps' pages are the theme's, rendered from the zip alone: its templates and the
    # compiled catalogs (no Babel in the Lambda), in Japanese and in English
    render = (
        "import json, sys; sys.path.insert(0, '.'); from hiroba_web import templates, pages; "
        "assert templates.THEME.resolve() == __import__('pathlib').Path('theme').resolve(); "
        "print(json.dumps([templates.render('app/message.html', title='T', text='本文', "
        "LANG_CODE=code) for code in ('ja', 'en')] + [pages.copy_sent_page(True).body]))"
    )
    result = subprocess.run(
        [str(clean_python), "-I", "-c", render],
        cwd=unpacked,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    ja, en, sent = json.loads(result.stdout.strip().splitlines()[-1])
    for page in (ja, sent):
        assert '<nav class="hiroba-nav" aria-label="メインメニュー">' in page
        assert '<footer class="hiroba-footer">' in page and "このページに関するお問い合わせ" in page
        assert '<html lang="ja">' in page
    assert "控えを送りました" in sent
    assert '<nav class="hiroba-nav" aria-label="Main menu">' in en
    assert "Contact us about this page" in en
    policy = json.loads((tmp_path / "build" / app / ".chalice" / f"policy-{app}.json").read_text())
    assert policy == template.policy(app)
    # the stage chalice creates is throttled by API Gateway (merged into its SAM template)
    sam = json.loads((tmp_path / "out" / "sam.json").read_text())
    assert sam["Resources"]["RestAPI"]["Properties"]["MethodSettings"] == [
        {"ResourcePath": "/*", "HttpMethod": "*", **template.STAGE_THROTTLE}
    ]
    # the deployed function runs as production: secrets from Secrets Manager, checked at
    # cold start (tests/security/test_api_attacks.py imports the app with these)
    function = next(
        r for r in sam["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    )
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["HIROBA_STAGE"] == "production"
    assert variables["HIROBA_SECRET_ID"] == template.SECRETS["FunctionSecret"][0]
    assert variables["HIROBA_ORIGIN_VERIFY_ID"] == template.SECRETS["OriginVerifySecret"][0]
    # only the procedures app and the console (refunds, 収納消込) name and may read the
    # payment providers' keys; the publishing app never
    payment_keys = template.APP_SECRETS["procedures"]["PaymentKeysSecret"][0]
    readable = json.dumps(policy)
    if app in ("procedures", "console"):
        assert variables["HIROBA_PAYMENT_KEYS_ID"] == payment_keys
        assert variables["HIROBA_CARD_PROVIDER"] == "stripe"
        assert payment_keys in readable
    else:
        assert "HIROBA_PAYMENT_KEYS_ID" not in variables and payment_keys not in readable
    if app == "procedures":
        # the payments' expiry runs every five minutes on an EventBridge (CloudWatch Events)
        # schedule, in the app's own role
        (expiry,) = [
            r
            for r in sam["Resources"].values()
            if r["Type"] == "AWS::Serverless::Function"
            and r["Properties"]["Handler"] == "app.expire_payments"
        ]
        (event,) = expiry["Properties"]["Events"].values()
        assert event["Type"] == "Schedule"
        assert event["Properties"]["Schedule"] == "rate(5 minutes)"
        assert expiry["Properties"]["Environment"]["Variables"]["HIROBA_STAGE"] == "production"


# the tables each app may reach: the public apps their own; the staff console its sessions,
# the audit trail and the applications and comments it processes (docs/staff.md)
REACH = {
    "publishing": {"hiroba-publishing"},
    "procedures": {"hiroba-procedures"},
    "console": {"hiroba-console", "hiroba-audit", "hiroba-procedures", "hiroba-publishing"},
}
TABLE_NAMES = {"hiroba-publishing", "hiroba-procedures", "hiroba-console", "hiroba-audit"}


@pytest.mark.parametrize("app", APPS)
def test_each_app_policy_names_only_the_tables_it_must_reach(app):
    text = json.dumps(template.policy(app))
    for name in TABLE_NAMES:
        assert (f"table/{name}" in text) == (name in REACH[app]), name
    for statement in template.policy(app)["Statement"]:
        if any(a.startswith("dynamodb:") for a in statement["Action"]):
            assert "*" not in statement["Action"]
            assert any(f"table/{n}" in json.dumps(statement["Resource"]) for n in REACH[app])


def test_the_audit_trail_can_be_appended_to_and_never_changed():
    statements = template.policy("console")["Statement"]
    on_audit = [s for s in statements if "table/hiroba-audit" in json.dumps(s["Resource"])]
    allowed = {a for s in on_audit if s["Effect"] == "Allow" for a in s["Action"]}
    denied = {a for s in on_audit if s["Effect"] == "Deny" for a in s["Action"]}
    assert allowed == {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"}
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} <= denied
    # and no other statement allows a delete there: the one DeleteItem the console has is a
    # newsletter send's claim in the publishing table (test_hosting.py checks its condition)
    for statement in statements:
        if statement["Effect"] == "Allow" and "dynamodb:DeleteItem" in statement["Action"]:
            assert statement["Resource"] == [template.table_arn("publishing")]
            assert "hiroba-audit" not in json.dumps(statement["Resource"])


def test_infra_template_is_generated_from_the_table_definitions():
    result = subprocess.run(
        [sys.executable, "-m", "infra.aws.template", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    resources = template.template()["Resources"]
    tables = {k: v for k, v in resources.items() if v["Type"] == "AWS::DynamoDB::Table"}
    assert set(tables) == {"PublishingTable", "ProceduresTable", "ConsoleTable", "AuditTable"}
    for table in tables.values():
        assert table["Properties"]["TimeToLiveSpecification"] == {
            "AttributeName": "expires_at",
            "Enabled": True,
        }

"""Hosting on AWS, against real protocols on loopback: the site uploaded to S3 (a moto
server), CloudFront invalidated, and the edge function (CloudFront's origin for pages)
reading them from S3 and answering with the current banner. The templates are checked by cfn-lint against the CloudFormation spec."""

import base64
import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest

from hiroba_core import emergency_region as banner
from hiroba_core import security_headers
from infra.aws import publish, site, template
from infra.edge import headers as edge_headers
from infra.edge import page_origin
from infra.local.dynamodb import LocalDynamoDB

ROOT = Path(__file__).resolve().parents[2]
OLD = "<!--hiroba:emergency--><!--/hiroba:emergency          -->"
NEW = "<!--hiroba:emergency--><p>津波警報</p><!--/hiroba:emergency-->"


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    """A moto server (the project's, serialised) for S3 and CloudFront."""
    server = LocalDynamoDB().start()
    yield server.url
    server.stop()


@pytest.fixture
def env(monkeypatch, aws):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
    }.items():
        monkeypatch.setenv(key, value)
    return aws


@pytest.fixture
def bucket(env):
    """A new, empty bucket for each test."""
    name = f"hiroba-site-{uuid.uuid4().hex[:12]}"
    s3_client(env).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    return name


@pytest.fixture
def output(tmp_path):
    """A small built site: pages with the region as built, and the current regions."""
    files = {
        "index.html": f"<html><body>{OLD}<main>宮城県</main></body></html>".encode(),
        "en/index.html": f"<html><body>{OLD}<main>Miyagi</main></body></html>".encode(),
        "m/index.html": f"<html><body>{OLD}ポケットみやぎ</body></html>".encode("cp932"),
        "theme/css/hiroba.css": b"body{color:#0b0c0c}",
        banner.MANIFEST: banner.manifest_bytes("ja", ["en"], "m"),
        "_emergency/main.ja.inc": NEW.encode(),
        "_emergency/main.en.inc": NEW.replace("津波警報", "Tsunami warning").encode(),
        "_emergency/mobile-top.ja.inc": NEW.encode("cp932"),
        "_emergency/sources.json": b'["news/scheduled-notice.md"]',
        "documents/plan.pdf": b"%PDF-1.7",
    }
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    return tmp_path


def s3_client(endpoint):
    return boto3.client("s3", endpoint_url=endpoint)


def test_publish_uploads_with_the_charset_of_each_output_and_deletes_stale(env, bucket, output):
    s3 = s3_client(env)
    s3.put_object(Bucket=bucket, Key="news/removed/index.html", Body=b"old")
    args = ["--bucket", bucket, "--output", str(output), "--endpoint", env, "--all"]
    assert publish.main(args) == 0
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert "news/removed/index.html" not in keys and "m/index.html" in keys
    mobile = s3.head_object(Bucket=bucket, Key="m/index.html")
    assert mobile["ContentType"] == "text/html; charset=Shift_JIS"
    assert mobile["CacheControl"] == "public, max-age=60"
    assert s3.head_object(Bucket=bucket, Key="index.html")["ContentType"].endswith("utf-8")
    css = s3.head_object(Bucket=bucket, Key="theme/css/hiroba.css")
    assert css["ContentType"] == "text/css; charset=utf-8"
    assert "_emergency/sources.json" not in keys  # it lists notices not yet published


def test_publish_refuses_what_would_do_harm(env, bucket, output, tmp_path, capsys):
    s3 = s3_client(env)
    base = ["--bucket", bucket, "--endpoint", env]
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"the live site")
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    empty = tmp_path / "empty"
    empty.mkdir()
    assert publish.main([*base, "--output", str(empty), "--all"]) == 2  # would delete it all
    listing = tmp_path / "list.txt"
    for text in ("../secret.txt\n", "/etc/passwd\n", "\n"):
        listing.write_text(text, "utf-8")
        assert publish.main([*base, "--output", str(output), "--files-from", str(listing)]) == 2
    assert "refused" in capsys.readouterr().err
    assert {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])} == before
    assert before == {"index.html"}


def test_a_full_upload_of_an_older_build_keeps_newer_emergency_information(
    env, bucket, output, tmp_path
):
    s3 = s3_client(env)
    manifest = banner.manifest_bytes("ja", ["en"], "m", "2026-11-27T15:00:00+09:00")
    s3.put_object(Bucket=bucket, Key=banner.MANIFEST, Body=manifest)
    s3.put_object(Bucket=bucket, Key="_emergency/main.ja.inc", Body=b"NEWER")
    s3.put_object(Bucket=bucket, Key="emergency/cap/oame.xml", Body=b"<alert/>")
    # the notice's own pages, uploaded by the fast path: the banner links to them
    s3.put_object(Bucket=bucket, Key="news/oame/index.html", Body=b"<p>oame</p>")
    s3.put_object(Bucket=bucket, Key="en/news/oame/index.html", Body=b"<p>oame</p>")
    older = banner.manifest_bytes("ja", ["en"], "m", "2026-11-27T14:58:00+09:00")
    (output / banner.MANIFEST).write_bytes(older)
    (output / "about").mkdir()
    (output / "about" / "index.html").write_text("<p>new page</p>", "utf-8")
    args = ["--bucket", bucket, "--output", str(output), "--endpoint", env, "--all"]
    assert publish.main(args) == 0
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert "about/index.html" in keys  # the rest of the build is published
    assert s3.get_object(Bucket=bucket, Key="_emergency/main.ja.inc")["Body"].read() == b"NEWER"
    assert "emergency/cap/oame.xml" in keys  # not deleted as "no longer built"
    assert {"news/oame/index.html", "en/news/oame/index.html"} <= keys  # no dead banner link
    assert s3.get_object(Bucket=bucket, Key=banner.MANIFEST)["Body"].read() == manifest
    # a build newer than the bucket's emergency information replaces it
    newer = banner.manifest_bytes("ja", ["en"], "m", "2026-11-27T15:10:00+09:00")
    (output / banner.MANIFEST).write_bytes(newer)
    assert publish.main(args) == 0
    assert s3.get_object(Bucket=bucket, Key="_emergency/main.ja.inc")["Body"].read() == NEW.encode()
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert "emergency/cap/oame.xml" not in keys
    assert "news/oame/index.html" not in keys  # a build that knows the site cleans up


def test_emergency_upload_sends_only_listed_files_and_invalidates(env, bucket, output, capsys):
    s3 = s3_client(env)
    cloudfront = boto3.client("cloudfront", endpoint_url=env)
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "hiroba-test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "static",
                        "DomainName": f"{bucket}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "static",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            },
        }
    )["Distribution"]["Id"]
    listing = output / "written.txt"
    listing.write_text("_emergency/main.ja.inc\n_emergency/gone.inc\n", "utf-8")
    args = ["--bucket", bucket, "--output", str(output), "--endpoint", env]
    assert publish.main([*args, "--distribution", distribution, "--files-from", str(listing)]) == 0
    assert "1 uploaded, 1 deleted" in capsys.readouterr().out
    body = s3.get_object(Bucket=bucket, Key="_emergency/main.ja.inc")["Body"].read()
    assert body == NEW.encode()
    invalidations = cloudfront.list_invalidations(DistributionId=distribution)
    assert invalidations["InvalidationList"]["Quantity"] == 1


def url_request(path, method="GET"):
    """A Lambda function URL event (payload 2.0), as CloudFront's request arrives."""
    return {"rawPath": path, "requestContext": {"http": {"method": method}}, "headers": {}}


def test_edge_function_serves_pages_with_the_current_banner(env, bucket, output, monkeypatch):
    (output / "404.html").write_text(
        f"<html><body>{OLD}<h1>見つかりません</h1></body></html>", "utf-8"
    )
    monkeypatch.setenv("HIROBA_S3_ENDPOINT", env)
    monkeypatch.setenv("HIROBA_SITE_BUCKET", bucket)
    monkeypatch.setattr(page_origin, "_clients", {})
    monkeypatch.setattr(page_origin, "_regions", {"loaded": 0.0, "value": None})
    assert (
        publish.main(["--bucket", bucket, "--output", str(output), "--endpoint", env, "--all"]) == 0
    )

    def page(path, method="GET"):
        answer = page_origin.handler(url_request(path, method))
        assert answer["isBase64Encoded"] is (method == "GET")
        return answer, base64.b64decode(answer["body"])

    answer, body = page("/index.html")
    assert answer["statusCode"] == 200
    assert "<p>津波警報</p>" in body.decode() and "<main>宮城県</main>" in body.decode()
    assert answer["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert answer["headers"]["Cache-Control"] == "public, max-age=60"
    assert "Tsunami warning" in page("/en/")[1].decode()
    answer, body = page("/m/index.html")
    assert answer["headers"]["Content-Type"] == "text/html; charset=Shift_JIS"
    assert "<p>津波警報</p>" in body.decode("cp932") and "ポケットみやぎ" in body.decode("cp932")
    answer, body = page("/news/none/index.html")
    assert answer["statusCode"] == 404
    assert "見つかりません" in body.decode() and "<p>津波警報</p>" in body.decode()
    answer, body = page("/documents/plan.pdf")  # not a page: passed through as stored
    assert answer["statusCode"] == 200 and body == b"%PDF-1.7"
    assert answer["headers"]["Content-Type"] == "application/pdf"
    answer, body = page("/m/index.html", "HEAD")
    assert answer["statusCode"] == 200 and body == b""
    assert answer["headers"]["Content-Type"] == "text/html; charset=Shift_JIS"
    assert page_origin.handler(url_request("/", "POST"))["statusCode"] == 405
    assert page("/../../etc/passwd.html")[0]["statusCode"] == 404  # never outside the site


@pytest.mark.parametrize(
    ("module", "name"),
    [("template", "template.json"), ("site", "site.json"), ("site", "waf.json")],
)
def test_cloudformation_templates_are_current_and_valid(module, name):
    check = subprocess.run(
        [sys.executable, "-m", f"infra.aws.{module}", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert check.returncode == 0, check.stderr
    lint = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(ROOT / "infra" / "aws" / name)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_site_sends_pages_through_the_edge_and_static_files_around_it():
    config = site.template()["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "pages"
    patterns = {b["PathPattern"]: b["TargetOriginId"] for b in config["CacheBehaviors"]}
    assert patterns["/theme/*"] == patterns["*.webm"] == "static"
    assert not any(p.endswith(".html") for p in patterns)  # every page gets the banner
    lambda_env = site.template()["Resources"]["EdgeFunction"]["Properties"]["Environment"]
    assert lambda_env["Variables"]["HIROBA_SITE_BUCKET"] == {"Ref": "SiteBucket"}


def test_edge_package_runs_on_its_own(tmp_path):
    """The zip holds everything the handler imports besides boto3 (in the Lambda runtime)."""
    archive = site.package(tmp_path / "edge.zip")
    assert site.package(tmp_path / "again.zip").read_bytes() == archive.read_bytes()
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from edge import page_origin; from hiroba_core import emergency_region as banner; "
        "print(banner.region_name('m/index.html', "
        "{'default_lang': 'ja', 'languages': [], 'mobile_root': 'm'}), "
        "callable(page_origin.handler))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(archive)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["mobile-top.ja.inc", "True"]


def run_cloudfront_function(code, request):
    """Run a CloudFront Function's code in Node.js with a viewer-request event."""
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "Node.js is needed (make test installs npm, which brings it)"
    event = {"request": request}
    script = f"{code}\nconsole.log(JSON.stringify(handler({json.dumps(event)})));"
    result = subprocess.run([node, "-e", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("uri", "accept", "path", "sent_accept"),
    [
        ("/api/procedures/m/inquiries", "*/*", "/m/inquiries", edge_headers.HANDSET_ACCEPT),
        ("/api/procedures/m/inquiries", None, "/m/inquiries", edge_headers.HANDSET_ACCEPT),
        ("/api/procedures/inquiries", "text/html", "/inquiries", "text/html"),
        ("/api/publishing/consultations/a/comments", "*/*", "/consultations/a/comments", "*/*"),
        ("/api/publishing/", None, "/", None),
    ],
)
def test_api_requests_are_rewritten_alike_at_the_cdn_and_locally(uri, accept, path, sent_accept):
    request = {"uri": uri, "headers": {"accept": {"value": accept}} if accept else {}}
    answer = run_cloudfront_function(site.API_FUNCTION, request)
    assert answer["uri"] == path
    assert answer["headers"].get("accept", {}).get("value") == sent_accept
    assert edge_headers.api_request(uri, accept) == (path, sent_accept)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/", "/index.html"),
        ("/en/news/x/", "/en/news/x/index.html"),
        ("/en/news/x", "/en/news/x/index.html"),
        ("/theme/css/hiroba.css", "/theme/css/hiroba.css"),
        ("/m/index.html", "/m/index.html"),
    ],
)
def test_directory_urls_are_served_from_index_html(uri, expected):
    answer = run_cloudfront_function(site.INDEX_FUNCTION, {"uri": uri, "headers": {}})
    assert answer["uri"] == expected
    assert banner.page_path(expected) or not expected.endswith(".html")


def distribution():
    return site.template()["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]


def sent_headers(policy_id):
    """The headers a response headers policy of site.json sends, as (name -> value)."""
    config = site.template()["Resources"][policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    sent = {
        "Content-Security-Policy": security["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts["IncludeSubdomains"] else ""),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
    }
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        sent[item["Header"]] = item["Value"]
    overrides = {v["Override"] for v in security.values()}
    return sent, overrides


def test_every_behaviour_sends_the_one_definition_of_the_security_headers():
    config = distribution()
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    policies = {b.get("PathPattern", "default"): b["ResponseHeadersPolicyId"] for b in behaviours}
    assert all(policies.values())  # pages, static files and /api/* alike
    assert policies["default"] == policies["/theme/*"] == {"Ref": "SiteResponseHeaders"}
    assert policies["/m/*"] == {"Ref": "MobileResponseHeaders"}
    assert policies["/api/publishing/*"] == {"Ref": "ApiResponseHeaders"}
    # the web editor's page has its own, looser policy; nothing else does
    assert policies["/admin/*"] == {"Ref": "AdminResponseHeaders"}
    assert sent_headers("AdminResponseHeaders") == (security_headers.ADMIN_SECURITY_HEADERS, {True})
    assert sent_headers("SiteResponseHeaders") == (security_headers.SECURITY_HEADERS, {True})
    assert sent_headers("MobileResponseHeaders") == (
        security_headers.MOBILE_SECURITY_HEADERS,
        {True},
    )
    # the apps' own headers (e.g. their feature-phone pages) win; CloudFront fills the gaps
    assert sent_headers("ApiResponseHeaders") == (security_headers.SECURITY_HEADERS, {False})
    # /m/* comes after the static patterns, so ポケットみやぎ's images stay static
    patterns = [b["PathPattern"] for b in config["CacheBehaviors"]]
    assert patterns.index("*.jpg") < patterns.index("/m/*")
    assert "frame-ancestors 'none'" in security_headers.CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in security_headers.CONTENT_SECURITY_POLICY


def test_api_origins_carry_the_origin_verify_secret_and_the_viewers_address():
    document = site.template()
    config = distribution()
    parameter = document["Parameters"]["OriginVerifySecretName"]
    assert parameter["Type"] == "String"
    for app in site.API_APPS:
        origin = next(o for o in config["Origins"] if o["Id"] == f"{app}-api")
        assert origin["OriginCustomHeaders"] == [
            {
                "HeaderName": "X-Hiroba-Origin-Verify",
                "HeaderValue": {
                    "Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecretName}:SecretString}}"
                },
            }
        ]
        pattern = "/staff/*" if app == "console" else f"/api/{app}/*"
        behaviour = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == pattern)
        # managed AllViewerExceptHostHeader: every viewer header but Host, and the
        # CloudFront headers, CloudFront-Viewer-Address among them
        assert behaviour["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
        assert behaviour["CachePolicyId"] == site.CACHING_DISABLED
    # the console keeps its paths (/staff/…): no function strips a prefix
    console = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == "/staff/*")
    assert console["TargetOriginId"] == "console-api" and "FunctionAssociations" not in console
    # no other origin gets the secret
    others = [o for o in config["Origins"] if not o["Id"].endswith("-api")]
    assert others and not any("OriginCustomHeaders" in o for o in others)


def test_access_logs_go_to_a_log_bucket_that_forgets_them():
    resources = site.template()["Resources"]
    config = distribution()
    assert config["Logging"]["Bucket"] == {"Fn::GetAtt": ["LogBucket", "DomainName"]}
    assert config["Logging"]["IncludeCookies"] is False
    site_bucket = resources["SiteBucket"]["Properties"]
    assert site_bucket["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "LogBucket"}
    logs = resources["LogBucket"]["Properties"]
    (rule,) = logs["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == site.LOG_DAYS <= 365
    assert all(logs["PublicAccessBlockConfiguration"].values())
    statements = resources["LogBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    writer = next(s for s in statements if s["Sid"] == "SiteBucketAccessLogs")
    assert writer["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert writer["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": ["SiteBucket", "Arn"]}


def test_a_waf_web_acl_with_managed_rules_and_rate_limits_guards_the_distribution():
    assert distribution()["WebACLId"] == {"Ref": "WebAclArn"}
    assert "us-east-1" in site.template()["Parameters"]["WebAclArn"]["AllowedPattern"]
    acl = site.waf_template()["Resources"]["SiteWebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT" and acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    for name in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        group = rules[name]["Statement"]["ManagedRuleGroupStatement"]
        assert group["VendorName"] == "AWS" and group["Name"] == name
        assert rules[name]["OverrideAction"] == {"None": {}}  # the group's blocks block
    overrides = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"][
        "RuleActionOverrides"
    ]
    assert overrides == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    site_rate = rules["RateLimitSite"]["Statement"]["RateBasedStatement"]
    api_rate = rules["RateLimitApi"]["Statement"]["RateBasedStatement"]
    assert site_rate["AggregateKeyType"] == api_rate["AggregateKeyType"] == "IP"
    assert api_rate["Limit"] < site_rate["Limit"]
    assert api_rate["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/api/"
    assert rules["RateLimitApi"]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    assert len({rule["Priority"] for rule in acl["Rules"]}) == len(acl["Rules"])


def test_apps_may_send_mail_only_as_the_site_and_never_delete():
    from hiroba_core.settings import Settings

    publishing = template.policy("publishing")["Statement"]
    mail = next(s for s in publishing if s["Sid"] == "ConfirmationMail")
    assert mail["Condition"] == {"StringEquals": {"ses:FromAddress": Settings.mail_from}}
    for app in ("publishing", "procedures"):
        actions = [a for s in template.policy(app)["Statement"] for a in s["Action"]]
        assert "dynamodb:DeleteItem" not in actions and "dynamodb:PutItem" in actions
        assert not any(a.startswith("ses:") for a in actions) or app == "publishing"
    # the one delete in the deployed library is the newsletter sender's release (through the
    # unit of work, which alone can write a Delete), and only infra.tools (the operator's
    # command, not deployed) and the JMA poller send newsletters
    deletes = []
    for path in (ROOT / "functions").rglob("*.py"):
        text = path.read_text("utf-8")
        if "delete_item(" in text or '"Delete"' in text or ".delete(" in text:
            deletes.append(path.relative_to(ROOT).as_posix())
    # residents' attachments are S3 objects, not items: the check deletes a refused upload,
    # the resident their own file, the submit the draft's copies (AttachmentStore.delete)
    assert sorted(deletes) == [
        "functions/hiroba_core/services/attachments.py",
        "functions/hiroba_core/store/newsletter.py",
        "functions/hiroba_core/store/uow.py",
        "functions/procedures/chalicelib/routes/attachments.py",
    ]
    assert "delete_item(" not in (ROOT / "functions/hiroba_core/store/attachments.py").read_text()
    assert (ROOT / "functions/hiroba_core/store/newsletter.py").read_text().count(".delete(") == 1
    imports_sender = re.compile(r"import[^\n]*\bsending\b|services\.sending\b")
    for app in ("publishing", "procedures", "hiroba_web"):
        for path in (ROOT / "functions" / app).rglob("*.py"):
            assert not imports_sender.search(path.read_text("utf-8")), path
    assert imports_sender.search((ROOT / "infra/tools/__main__.py").read_text("utf-8"))


def test_the_console_may_delete_only_a_newsletter_sends_claim():
    """The console sends newsletters, and the sender releases a refused claim with a
    Delete: allowed on the publishing table's ISSUE# items and nowhere else."""
    statements = template.policy("console")["Statement"]
    deleting = [s for s in statements if "dynamodb:DeleteItem" in s["Action"]]
    allowed = [s for s in deleting if s["Effect"] == "Allow"]
    assert [s["Sid"] for s in allowed] == ["NewsletterClaimRelease"]
    assert allowed[0]["Resource"] == [template.table_arn("publishing")]
    leading = allowed[0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert leading == ["ISSUE#*"]


def test_each_app_stage_is_throttled_by_api_gateway():
    for app in ("publishing", "procedures"):
        settings = template.stage_settings(app)["Resources"]["RestAPI"]["Properties"]
        (method,) = settings["MethodSettings"]
        assert method["ResourcePath"] == "/*" and method["HttpMethod"] == "*"
        assert 0 < method["ThrottlingRateLimit"] <= method["ThrottlingBurstLimit"]

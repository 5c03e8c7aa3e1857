"""The stacks the attacks run against: the development stack of tests/functions (its
content, its fixtures), with the newsletter's loopback SNS certificate, and a
production-configured pair of apps on the same DynamoDB-protocol server: secrets in the
server's Secrets Manager and SSM (moto serves them too), the origin-verify check on, staff
tokens from a JWKS served on loopback, as Cognito serves its own."""

import functools
import http.server
import json
import secrets
import threading
import time

import jwt
import pytest

from infra.local.stack import AppProcess, LocalStack, SiteServer, site_handler
from tests.functions.conftest import (  # noqa: F401 (fixtures)
    Api,
    content,
    procedures,
    staff_token,
)
from tests.newsletter.conftest import Inbox, signing  # noqa: F401 (fixtures)

ISSUER = "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_HIROBA"
AUDIENCE = "hiroba-staff-console"
TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:hiroba-ses"
SITE = "https://www.pref.miyagi.example"


@pytest.fixture(scope="session")
def stack(tmp_path_factory, content, signing):  # noqa: F811
    local = LocalStack(
        tmp_path_factory.mktemp("stack"),
        env={
            "HIROBA_RATE_LIMIT": "5",
            "HIROBA_SNS_LOCAL_CERT_PREFIX": signing["prefix"],
            "HIROBA_NEWSLETTER_RATE": "0",
        },
        content=content,
    ).start()
    yield local
    local.stop()


@pytest.fixture(scope="session")
def api(stack):
    return Api(stack.apps["publishing"].url)


@pytest.fixture(scope="session")
def inbox(stack):
    return Inbox(stack.mail)


def aws(stack, service):
    import boto3

    return boto3.client(
        service,
        endpoint_url=stack.dynamodb_endpoint,
        region_name="ap-northeast-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture(scope="session")
def cognito(tmp_path_factory):
    """An RSA key and its JWKS on loopback: the user pool's keys, as Cognito publishes them."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "hiroba-test", "alg": "RS256", "use": "sig"})
    folder = tmp_path_factory.mktemp("jwks")
    (folder / "jwks.json").write_text(json.dumps({"keys": [jwk]}), "utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def mint(groups=None, ttl=600, **claims):
        now = int(time.time())
        body = {
            "sub": "staff-1",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "token_use": "id",
            "iat": now,
            "exp": now + ttl,
        }
        if groups is not None:
            body["cognito:groups"] = groups
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": "hiroba-test"})

    mint.url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    yield mint
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def production(stack, cognito):
    """Both apps as the prod stage runs them: HIROBA_STAGE=production, the key (current
    and previous) in Secrets Manager, the origin-verify value in an SSM SecureString."""
    keys = {"current": secrets.token_urlsafe(32), "previous": [secrets.token_urlsafe(32)]}
    origin = secrets.token_urlsafe(32)
    suffix = secrets.token_hex(4)
    aws(stack, "secretsmanager").create_secret(
        Name=f"hiroba/secret-{suffix}", SecretString=json.dumps(keys)
    )
    aws(stack, "ssm").put_parameter(
        Name=f"/hiroba/origin-verify-{suffix}", Value=origin, Type="SecureString"
    )
    aws(stack, "secretsmanager").create_secret(
        Name=f"hiroba/payment-keys-{suffix}", SecretString=json.dumps(payment_keys())
    )
    env = production_env(stack, cognito, suffix)
    apps = {name: AppProcess(name, env).start() for name in ("publishing", "procedures")}
    yield {
        "keys": keys,
        "origin": origin,
        "env": env,
        "apps": apps,
        "publishing": Api(apps["publishing"].url),
        "procedures": Api(apps["procedures"].url),
    }
    for app in apps.values():
        app.stop()


def production_env(stack, cognito, suffix):
    return {
        **stack.env(),
        "HIROBA_STAGE": "production",
        "HIROBA_SECRET": "",
        "HIROBA_JWT_SECRET": "",
        "HIROBA_ORIGIN_VERIFY": "",
        "HIROBA_SNS_LOCAL_CERT_PREFIX": "",
        "HIROBA_SECRETS_ENDPOINT": stack.dynamodb_endpoint,
        "HIROBA_SECRET_ID": f"hiroba/secret-{suffix}",
        "HIROBA_ORIGIN_VERIFY_ID": f"ssm:/hiroba/origin-verify-{suffix}",
        "HIROBA_SNS_TOPIC_ARN": TOPIC,
        "HIROBA_SITEURL": SITE,
        "HIROBA_JWT_JWKS_URL": cognito.url,
        "HIROBA_JWT_ISSUER": ISSUER,
        "HIROBA_JWT_AUDIENCE": AUDIENCE,
        # payments take real money: Stripe, Pay-easy over https, keys only from the secret
        "HIROBA_CARD_ACQUIRER_KEY": "",
        "HIROBA_PAYEASY_KEY": "",
        "HIROBA_PAYMENT_KEYS_ID": f"hiroba/payment-keys-{suffix}",
        "HIROBA_CARD_PROVIDER": "stripe",
        "HIROBA_PAYEASY_URL": "https://payeasy.example.jp/",
    }


def payment_keys():
    """What an operator stores under hiroba/payment-keys (random stand-ins of each key)."""
    return {
        "stripe_secret_key": "sk_live_" + secrets.token_urlsafe(40),
        "stripe_webhook_secret": "whsec_" + secrets.token_urlsafe(32),
        "payeasy_key": secrets.token_urlsafe(36),
    }


@pytest.fixture(scope="session")
def cdn(production, tmp_path_factory):
    """The development server's proxy in front of the production apps: it adds the
    origin-verify header and the viewer's address as CloudFront does."""
    output = tmp_path_factory.mktemp("cdn-site")
    handler = site_handler(output, production["apps"])
    handler.func.origin_verify = production["origin"]
    server = SiteServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Api(f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()

"""Settings read once from the environment (the Chalice config or the local stack sets them).

In production (HIROBA_STAGE=production, set by the `prod` stage of each app's
.chalice/config.json) the secrets come only from Secrets Manager or SSM Parameter Store,
and a missing or development value stops the function at cold start with a
ConfigurationError naming what is wrong: a deployment that cannot be trusted must not
answer at all, rather than answer every request with a 500 or with a guessable key.
"""

import json
import os
import secrets as _random
from dataclasses import dataclass

from . import secrets_store

PRODUCTION = "production"
# Values that were ever in the repository or its docs: anyone can mint tokens with them.
DEVELOPMENT_SECRETS = frozenset(
    {"hiroba-local-development-secret", "changeme", "secret", "development", "test"}
)
MIN_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The environment does not allow the app to run safely; the message says what to set."""


def _int(environ, name, default):
    try:
        return int(environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Settings:
    dynamodb_endpoint: str | None = None
    region: str = "ap-northeast-1"
    publishing_table: str = "hiroba-publishing"
    procedures_table: str = "hiroba-procedures"
    # Personal data of commenters is deleted by DynamoDB TTL after this many days.
    personal_data_days: int = 365
    # Accepted submissions per client address and window.
    rate_limit: int = 5
    rate_window_seconds: int = 600
    # A form sent sooner than this after it was opened is treated as a bot.
    min_fill_seconds: int = 3
    # "production" makes every secret and check below mandatory (see from_env).
    stage: str = "development"
    # Key for link tokens, form tickets and keyed hashes (never logged); previous keys
    # are still accepted when verifying, so a rotation breaks no link already mailed.
    secret: str | None = None
    previous_secrets: tuple = ()
    # The value CloudFront adds as X-Hiroba-Origin-Verify (current first, then previous);
    # empty: not checked (local development without the proxy's header).
    origin_verify: tuple = ()
    # Staff tokens: HS256 with jwt_secret (development), or RS256 from a JWKS (Cognito).
    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None  # the Cognito app client's id
    # The staff console (functions/console): Cognito's endpoint (None: AWS's; the local
    # stack points it at the loopback moto server), the user pool (for signing a member
    # out everywhere), its own tables and the idle timeout of a session.
    cognito_endpoint: str | None = None
    cognito_pool_id: str | None = None
    console_table: str = "hiroba-console"
    audit_table: str = "hiroba-audit"
    session_idle_seconds: int = 30 * 60
    # smtp://host:port, ses, or "" (no confirmation mail)
    mail_transport: str = ""
    mail_from: str = "no-reply@pref.miyagi.example"
    # SES's endpoint; None: AWS's (tests point it at a loopback server)
    ses_endpoint: str | None = None
    site_url: str = "http://127.0.0.1:8000"
    # How many proxies in front of the app append to X-Forwarded-For (CloudFront = 1 in AWS,
    # the local reverse proxy = 1 on a developer machine).
    trusted_proxies: int = 1
    # Newsletter (メルマガ・みやぎ): messages per second (SES's sending quota), days an
    # unsubscribed record is kept before TTL deletes it, and the SNS topic of SES events.
    newsletter_rate: float = 14.0
    newsletter_retention_days: int = 30
    # Where the console reads built issues (newsletter/<id>/issue.json of the site): a
    # folder (make run: output/newsletter) or the site's https URL; "": <site_url>/newsletter.
    newsletter_issues: str = ""
    sns_topic_arn: str | None = None
    # Local stacks only: signing certificates may also come from this loopback prefix.
    sns_local_cert_prefix: str | None = None
    # Application status inquiries (申請状況の照会) per client address and rate window.
    inquiry_rate_limit: int = 10
    # Newsletter subscription requests per client, and mails a form may cause to one address
    # (confirmations, copies of comments), per rate window: an open form must not become a
    # way to flood someone's inbox.
    subscribe_client_limit: int = 5
    address_mail_limit: int = 3
    # The procedure catalogue (procedures.toml); None: the copy shipped with hiroba_core,
    # else content/registry/procedures.toml of the repository.
    procedures_catalogue: str | None = None
    # Payments (公金収納): which provider takes cards ("sandbox-card" locally, "stripe"), the
    # sandboxes' addresses and keys (infra/local/sandbox_payments.py), Stripe's keys, the
    # 団体's Pay-easy 収納機関番号, and how long an unfinished payment lives.
    card_provider: str = "sandbox-card"
    card_acquirer_url: str = ""
    card_acquirer_key: str = ""
    payeasy_url: str = ""
    payeasy_key: str = ""
    payeasy_collector: str = "99041"  # a sandbox number; the network assigns the real one
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    card_minutes: int = 90  # a started card payment expires after this
    payeasy_days: int = 14  # Pay-easy numbers are valid until the end of this day (JST)
    # Issued documents (docs/signatures.md): the private bucket they are kept in, its
    # endpoint (None: AWS's; the local stack's moto server), and the days a resident may
    # download one after it was issued.
    documents_bucket: str = "hiroba-documents"
    s3_endpoint: str | None = None
    document_days: int = 30
    # Residents' attachments to applications (services/attachments.py): their private
    # bucket, in the same S3 (endpoint) as the documents.
    attachments_bucket: str = "hiroba-attachments"
    # The 団体's signer: "p12" (a PKCS#12 file, development only) or "kms"; "" issues nothing.
    signer: str = ""
    signer_p12: str | None = None
    signer_passphrase_file: str | None = None
    signer_kms_key_id: str | None = None
    signer_certificate: str | None = None  # PEM: the signing certificate, then its chain
    kms_endpoint: str | None = None
    tsa_url: str | None = None  # an RFC 3161 timestamp authority; None: no timestamp
    # What signatures are checked against: PEM/DER files (comma-separated in the variables).
    # Empty: nothing is trusted (there is no built-in anchor).
    trust_anchors: tuple = ()
    trust_intermediates: tuple = ()
    trust_crls: tuple = ()
    trust_fetch_crls: bool = False
    # Development and tests only (never read in production): a file holding seconds to add
    # to the clock of the online form (its 30- and 90-minute timeouts), so a test moves
    # time instead of sleeping.
    clock_file: str | None = None

    @property
    def keys(self):
        """Every key that verifies: the current one first."""
        return (self.secret, *self.previous_secrets)

    @property
    def production(self):
        return self.stage == PRODUCTION

    @classmethod
    def from_env(cls, environ=None):
        env = os.environ if environ is None else environ
        stage = env.get("HIROBA_STAGE") or cls.stage
        region = env.get("AWS_DEFAULT_REGION", cls.region)
        keys, origin = _secrets(env, stage, region)
        return cls(
            stage=stage,
            previous_secrets=keys[1:],
            origin_verify=origin,
            dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
            region=region,
            publishing_table=env.get("HIROBA_PUBLISHING_TABLE", cls.publishing_table),
            procedures_table=env.get("HIROBA_PROCEDURES_TABLE", cls.procedures_table),
            personal_data_days=_int(env, "HIROBA_PERSONAL_DATA_DAYS", cls.personal_data_days),
            rate_limit=_int(env, "HIROBA_RATE_LIMIT", cls.rate_limit),
            rate_window_seconds=_int(env, "HIROBA_RATE_WINDOW_SECONDS", cls.rate_window_seconds),
            min_fill_seconds=_int(env, "HIROBA_MIN_FILL_SECONDS", cls.min_fill_seconds),
            secret=keys[0],
            jwt_secret=env.get("HIROBA_JWT_SECRET") or None,
            jwt_jwks_url=env.get("HIROBA_JWT_JWKS_URL") or None,
            jwt_issuer=env.get("HIROBA_JWT_ISSUER") or None,
            jwt_audience=env.get("HIROBA_JWT_AUDIENCE") or None,
            cognito_endpoint=env.get("HIROBA_COGNITO_ENDPOINT") or None,
            cognito_pool_id=env.get("HIROBA_COGNITO_POOL_ID") or None,
            console_table=env.get("HIROBA_CONSOLE_TABLE", cls.console_table),
            audit_table=env.get("HIROBA_AUDIT_TABLE", cls.audit_table),
            session_idle_seconds=_int(env, "HIROBA_SESSION_IDLE_SECONDS", cls.session_idle_seconds),
            mail_transport=env.get("HIROBA_MAIL", cls.mail_transport),
            mail_from=env.get("HIROBA_MAIL_FROM", cls.mail_from),
            ses_endpoint=env.get("HIROBA_SES_ENDPOINT") or None,
            site_url=env.get("HIROBA_SITEURL", cls.site_url).rstrip("/"),
            trusted_proxies=_int(env, "HIROBA_TRUSTED_PROXIES", cls.trusted_proxies),
            newsletter_rate=float(env.get("HIROBA_NEWSLETTER_RATE") or cls.newsletter_rate),
            newsletter_retention_days=_int(
                env, "HIROBA_NEWSLETTER_RETENTION_DAYS", cls.newsletter_retention_days
            ),
            newsletter_issues=env.get("HIROBA_NEWSLETTER_ISSUES", cls.newsletter_issues),
            sns_topic_arn=env.get("HIROBA_SNS_TOPIC_ARN") or None,
            sns_local_cert_prefix=env.get("HIROBA_SNS_LOCAL_CERT_PREFIX") or None,
            inquiry_rate_limit=_int(env, "HIROBA_INQUIRY_RATE_LIMIT", cls.inquiry_rate_limit),
            subscribe_client_limit=_int(
                env, "HIROBA_SUBSCRIBE_CLIENT_LIMIT", cls.subscribe_client_limit
            ),
            address_mail_limit=_int(env, "HIROBA_ADDRESS_MAIL_LIMIT", cls.address_mail_limit),
            procedures_catalogue=env.get("HIROBA_PROCEDURES_CATALOGUE") or None,
            card_provider=env.get("HIROBA_CARD_PROVIDER") or cls.card_provider,
            card_acquirer_url=env.get("HIROBA_CARD_ACQUIRER_URL", ""),
            payeasy_url=env.get("HIROBA_PAYEASY_URL", ""),
            payeasy_collector=env.get("HIROBA_PAYEASY_COLLECTOR") or cls.payeasy_collector,
            **_payment_keys(env, stage, region),
            card_minutes=_int(env, "HIROBA_CARD_MINUTES", cls.card_minutes),
            payeasy_days=_int(env, "HIROBA_PAYEASY_DAYS", cls.payeasy_days),
            documents_bucket=env.get("HIROBA_DOCUMENTS_BUCKET", cls.documents_bucket),
            s3_endpoint=env.get("HIROBA_S3_ENDPOINT") or None,
            document_days=_int(env, "HIROBA_DOCUMENT_DAYS", cls.document_days),
            attachments_bucket=env.get("HIROBA_ATTACHMENTS_BUCKET", cls.attachments_bucket),
            signer=env.get("HIROBA_SIGNER", cls.signer),
            signer_p12=env.get("HIROBA_SIGNER_P12") or None,
            signer_passphrase_file=env.get("HIROBA_SIGNER_PASSPHRASE_FILE") or None,
            signer_kms_key_id=env.get("HIROBA_SIGNER_KMS_KEY_ID") or None,
            signer_certificate=env.get("HIROBA_SIGNER_CERTIFICATE") or None,
            kms_endpoint=env.get("HIROBA_KMS_ENDPOINT") or None,
            tsa_url=env.get("HIROBA_TSA_URL") or None,
            trust_anchors=_split(env.get("HIROBA_TRUST_ANCHORS")),
            trust_intermediates=_split(env.get("HIROBA_TRUST_INTERMEDIATES")),
            trust_crls=_split(env.get("HIROBA_TRUST_CRLS")),
            trust_fetch_crls=env.get("HIROBA_TRUST_FETCH_CRLS") == "1",
            clock_file=clock_file(env, stage),
        )

    def require_for(self, app):
        """What one app needs beyond the shared settings; ConfigurationError otherwise."""
        if self.production and app == "publishing" and not self.sns_topic_arn:
            raise ConfigurationError(
                "HIROBA_SNS_TOPIC_ARN must name the SES notification topic in production:"
                " without it any signed SNS message could suppress subscribers"
            )
        if self.production and app == "console":
            issuer = self.jwt_issuer or ""
            if not self.cognito_pool_id or not issuer.endswith("/" + self.cognito_pool_id):
                raise ConfigurationError(
                    "HIROBA_COGNITO_POOL_ID must name the staff user pool whose issuer is"
                    " HIROBA_JWT_ISSUER"
                )
            if self.jwt_jwks_url != issuer + "/.well-known/jwks.json" or self.cognito_endpoint:
                raise ConfigurationError(
                    "in production the JWKS must be the pool's own"
                    " (HIROBA_JWT_ISSUER + /.well-known/jwks.json) and Cognito AWS's"
                    " (no HIROBA_COGNITO_ENDPOINT)"
                )
        if self.production and app in ("procedures", "console"):  # the console refunds
            self._require_payment_providers(app)
        return self

    def _require_payment_providers(self, app):
        """Production takes real money: a real card provider, and every provider key
        stored (HIROBA_PAYMENT_KEYS_ID), random and long enough."""
        missing = []
        if self.card_provider != "stripe":
            missing.append("HIROBA_CARD_PROVIDER=stripe (the sandbox acquirer takes no real money)")
        if not self.payeasy_url.startswith("https://"):
            missing.append("HIROBA_PAYEASY_URL (https://…: the Pay-easy collection service)")
        for name in ("stripe_secret_key", "stripe_webhook_secret", "payeasy_key"):
            value = getattr(self, name)
            if value in DEVELOPMENT_SECRETS or len(value) < MIN_SECRET_LENGTH:
                missing.append(
                    f"{name} in the secret HIROBA_PAYMENT_KEYS_ID names (the provider's key,"
                    f" at least {MIN_SECRET_LENGTH} characters)"
                )
        if missing:
            raise ConfigurationError(
                f"the {app} app cannot handle payments in production; set: " + "; ".join(missing)
            )


# The payment providers' keys (the sandbox acquirer's and Pay-easy's HMAC keys, Stripe's API
# key and webhook signing secret): JSON in one secret, {"stripe_secret_key": "…", …}, that
# only the procedures app may read. Outside production the variables may give them instead.
PAYMENT_KEY_VARIABLES = {
    "card_acquirer_key": "HIROBA_CARD_ACQUIRER_KEY",
    "payeasy_key": "HIROBA_PAYEASY_KEY",
    "stripe_secret_key": "HIROBA_STRIPE_SECRET_KEY",
    "stripe_webhook_secret": "HIROBA_STRIPE_WEBHOOK_SECRET",
}


def _payment_keys(env, stage, region):
    """{setting: key} from HIROBA_PAYMENT_KEYS_ID, or (not in production) the variables."""
    given = [variable for variable in PAYMENT_KEY_VARIABLES.values() if env.get(variable)]
    if stage == PRODUCTION and given:
        raise ConfigurationError(
            f"HIROBA_STAGE={stage} refuses {', '.join(given)}: the payment providers' keys"
            " come only from the secret named by HIROBA_PAYMENT_KEYS_ID"
        )
    secret_id = env.get("HIROBA_PAYMENT_KEYS_ID")
    if not secret_id:
        return {name: env.get(variable, "") for name, variable in PAYMENT_KEY_VARIABLES.items()}
    try:
        text = secrets_store.read(
            secret_id, region=region, endpoint=env.get("HIROBA_SECRETS_ENDPOINT")
        )
        stored = json.loads(text)
    except secrets_store.SecretUnavailable as error:
        raise ConfigurationError(f"HIROBA_PAYMENT_KEYS_ID: {error}") from None
    except ValueError:
        raise ConfigurationError("HIROBA_PAYMENT_KEYS_ID: the secret is not JSON") from None
    if not isinstance(stored, dict) or not all(isinstance(v, str) for v in stored.values()):
        raise ConfigurationError('HIROBA_PAYMENT_KEYS_ID: the secret must be {"name": "key", …}')
    unknown = sorted(set(stored) - set(PAYMENT_KEY_VARIABLES))
    if unknown:
        raise ConfigurationError(
            f"HIROBA_PAYMENT_KEYS_ID: unknown names {', '.join(unknown)}"
            f" (known: {', '.join(PAYMENT_KEY_VARIABLES)})"
        )
    return {name: stored.get(name, "") for name in PAYMENT_KEY_VARIABLES}


def clock_file(env, stage):
    """HIROBA_CLOCK_FILE, except in production, where the clock is the clock."""
    return None if stage == PRODUCTION else env.get("HIROBA_CLOCK_FILE") or None


def _split(text):
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _stored(env, name, region):
    secret_id = env.get(name)
    if not secret_id:
        return None
    try:
        return secrets_store.keys(
            secrets_store.read(
                secret_id, region=region, endpoint=env.get("HIROBA_SECRETS_ENDPOINT")
            )
        )
    except secrets_store.SecretUnavailable as error:
        raise ConfigurationError(f"{name}: {error}") from None


def _secrets(env, stage, region):
    """((current, *previous), origin-verify values) for the stage, or ConfigurationError."""
    production = stage == PRODUCTION
    missing = []
    keys = _stored(env, "HIROBA_SECRET_ID", region)
    if keys is None:
        if production:
            missing.append(
                "HIROBA_SECRET_ID (the Secrets Manager secret or SSM SecureString holding"
                " HIROBA_SECRET; a plain HIROBA_SECRET variable is not accepted in production)"
            )
        elif env.get("HIROBA_SECRET"):
            keys = (env["HIROBA_SECRET"], *_split(env.get("HIROBA_SECRET_PREVIOUS")))
        else:
            # never a constant: a key nobody else can know, for this process only
            keys = (_random.token_urlsafe(32),)
    origin = _stored(env, "HIROBA_ORIGIN_VERIFY_ID", region)
    if origin is None:
        if production:
            missing.append(
                "HIROBA_ORIGIN_VERIFY_ID (the secret CloudFront sends as X-Hiroba-Origin-Verify)"
            )
        origin = _split(env.get("HIROBA_ORIGIN_VERIFY"))
    if production:
        for name in ("HIROBA_JWT_JWKS_URL", "HIROBA_JWT_ISSUER", "HIROBA_JWT_AUDIENCE"):
            if not env.get(name):
                missing.append(f"{name} (staff tokens come from Cognito in production)")
        if env.get("HIROBA_JWT_SECRET"):
            missing.append("no HIROBA_JWT_SECRET (development tokens are refused in production)")
        if not (env.get("HIROBA_SITEURL") or "").startswith("https://"):
            missing.append(
                "HIROBA_SITEURL (https://…: the links in mails and the Origin posts may come from)"
            )
    if missing:
        raise ConfigurationError(f"HIROBA_STAGE={stage} cannot start; set: " + "; ".join(missing))
    if production:
        for key in (*keys, *origin):
            if key in DEVELOPMENT_SECRETS or len(key) < MIN_SECRET_LENGTH:
                raise ConfigurationError(
                    "a stored secret is a known development value or shorter than"
                    f" {MIN_SECRET_LENGTH} characters: generate a new random one"
                )
    return keys, origin

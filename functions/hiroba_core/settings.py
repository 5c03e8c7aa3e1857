"""Settings read once from the environment (the Chalice config or the local stack sets them)."""

import os
from dataclasses import dataclass


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
    # Secret for form tickets and for hashing client addresses (never logged).
    secret: str = "hiroba-local-development-secret"
    # Staff tokens: HS256 with jwt_secret (development), or RS256 from a JWKS (Cognito).
    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # smtp://host:port, ses, or "" (no confirmation mail)
    mail_transport: str = ""
    mail_from: str = "no-reply@pref.miyagi.example"
    site_url: str = "http://127.0.0.1:8000"
    # How many proxies in front of the app append to X-Forwarded-For (CloudFront = 1 in AWS,
    # the local reverse proxy = 1 on a developer machine).
    trusted_proxies: int = 1
    # Newsletter (メルマガ・みやぎ): messages per second (SES's sending quota), days an
    # unsubscribed record is kept before TTL deletes it, and the SNS topic of SES events.
    newsletter_rate: float = 14.0
    newsletter_retention_days: int = 30
    sns_topic_arn: str | None = None
    # Local stacks only: signing certificates may also come from this loopback prefix.
    sns_local_cert_prefix: str | None = None
    # Application status inquiries (申請状況の照会) per client address and rate window.
    inquiry_rate_limit: int = 10
    # The procedure catalogue (procedures.toml); None: the copy shipped with hiroba_core,
    # else content/registry/procedures.toml of the repository.
    procedures_catalogue: str | None = None

    @classmethod
    def from_env(cls, environ=None):
        env = os.environ if environ is None else environ
        return cls(
            dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
            region=env.get("AWS_DEFAULT_REGION", cls.region),
            publishing_table=env.get("HIROBA_PUBLISHING_TABLE", cls.publishing_table),
            procedures_table=env.get("HIROBA_PROCEDURES_TABLE", cls.procedures_table),
            personal_data_days=_int(env, "HIROBA_PERSONAL_DATA_DAYS", cls.personal_data_days),
            rate_limit=_int(env, "HIROBA_RATE_LIMIT", cls.rate_limit),
            rate_window_seconds=_int(env, "HIROBA_RATE_WINDOW_SECONDS", cls.rate_window_seconds),
            min_fill_seconds=_int(env, "HIROBA_MIN_FILL_SECONDS", cls.min_fill_seconds),
            secret=env.get("HIROBA_SECRET", cls.secret),
            jwt_secret=env.get("HIROBA_JWT_SECRET") or None,
            jwt_jwks_url=env.get("HIROBA_JWT_JWKS_URL") or None,
            jwt_issuer=env.get("HIROBA_JWT_ISSUER") or None,
            jwt_audience=env.get("HIROBA_JWT_AUDIENCE") or None,
            mail_transport=env.get("HIROBA_MAIL", cls.mail_transport),
            mail_from=env.get("HIROBA_MAIL_FROM", cls.mail_from),
            site_url=env.get("HIROBA_SITEURL", cls.site_url).rstrip("/"),
            trusted_proxies=_int(env, "HIROBA_TRUSTED_PROXIES", cls.trusted_proxies),
            newsletter_rate=float(env.get("HIROBA_NEWSLETTER_RATE") or cls.newsletter_rate),
            newsletter_retention_days=_int(
                env, "HIROBA_NEWSLETTER_RETENTION_DAYS", cls.newsletter_retention_days
            ),
            sns_topic_arn=env.get("HIROBA_SNS_TOPIC_ARN") or None,
            sns_local_cert_prefix=env.get("HIROBA_SNS_LOCAL_CERT_PREFIX") or None,
            inquiry_rate_limit=_int(env, "HIROBA_INQUIRY_RATE_LIMIT", cls.inquiry_rate_limit),
            procedures_catalogue=env.get("HIROBA_PROCEDURES_CATALOGUE") or None,
        )

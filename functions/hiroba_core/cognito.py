"""The staff's user pool (Amazon Cognito): password, then the TOTP code, then tokens.

The console drives the sign-in itself (USER_PASSWORD_AUTH, then the SOFTWARE_TOKEN_MFA
challenge), so it knows that a second factor was given: the pool requires TOTP
(MfaConfiguration ON), and the console also refuses tokens that arrive without the TOTP
challenge having been answered. Locally the same API is served by the moto server the
stack starts (HIROBA_COGNITO_ENDPOINT); in production it is AWS's.
"""

from dataclasses import dataclass

import botocore.exceptions
from botocore.config import Config

from .errors import DomainError

_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2})


class SignInRefused(DomainError):
    """Wrong name or password, a wrong or expired code, or no second factor set up.
    `reason`: "credentials", "code", "mfa-not-set-up", "expired", "unavailable"."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Challenge:
    """The pool asks for the TOTP code; `session` is Cognito's (valid 3 minutes)."""

    username: str
    session: str


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str
    refresh_token: str


def client(settings):
    import boto3

    options = {"region_name": settings.region, "config": _CONFIG}
    if settings.cognito_endpoint:
        options["endpoint_url"] = settings.cognito_endpoint
        options.update(aws_access_key_id="local", aws_secret_access_key="local")
    return boto3.client("cognito-idp", **options)


def _code(error):
    return error.response.get("Error", {}).get("Code", "")


class StaffPool:
    def __init__(self, settings, cognito=None):
        self.settings = settings
        self.client = cognito or client(settings)
        self.client_id = settings.jwt_audience

    def start(self, username, password):
        """Check the password: a Challenge for the TOTP code, or SignInRefused."""
        try:
            answer = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except botocore.exceptions.ClientError as error:
            if _code(error) in (
                "NotAuthorizedException",
                "UserNotFoundException",
                "UserNotConfirmedException",
                "PasswordResetRequiredException",
                "InvalidParameterException",
            ):
                raise SignInRefused("credentials") from None
            raise SignInRefused("unavailable") from None
        except botocore.exceptions.BotoCoreError:
            raise SignInRefused("unavailable") from None
        if answer.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
            return Challenge(username, answer["Session"])
        # tokens without a second factor (a pool whose MFA is off or optional), MFA_SETUP,
        # NEW_PASSWORD_REQUIRED: the console signs in only with a TOTP code
        raise SignInRefused("mfa-not-set-up")

    def answer(self, challenge, code):
        """Tokens for the TOTP code, or SignInRefused."""
        try:
            answer = self.client.respond_to_auth_challenge(
                ClientId=self.client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=challenge.session,
                ChallengeResponses={
                    "USERNAME": challenge.username,
                    "SOFTWARE_TOKEN_MFA_CODE": code,
                },
            )
        except botocore.exceptions.ClientError as error:
            if _code(error) in ("CodeMismatchException", "InvalidParameterException"):
                raise SignInRefused("code") from None
            if _code(error) in (
                "NotAuthorizedException",
                "ExpiredCodeException",
                "ResourceNotFoundException",
            ):
                raise SignInRefused("expired") from None
            raise SignInRefused("unavailable") from None
        except botocore.exceptions.BotoCoreError:
            raise SignInRefused("unavailable") from None
        result = answer.get("AuthenticationResult") or {}
        if not result.get("IdToken"):
            raise SignInRefused("mfa-not-set-up")
        return Tokens(result["IdToken"], result["AccessToken"], result.get("RefreshToken", ""))

    def sign_out(self, username):
        """Revoke every refresh token of the member (AdminUserGlobalSignOut): a copy of the
        session or of its tokens is worth nothing after sign-out."""
        try:
            self.client.admin_user_global_sign_out(
                UserPoolId=self.settings.cognito_pool_id, Username=username
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            return False
        return True

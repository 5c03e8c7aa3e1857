"""The staff's user pool on the local moto server, as `make run` and the tests create it.

The same Cognito API as in production (cognito-idp on the loopback server the stack
starts): a pool with TOTP MFA required and a password policy, an app client for the
console (USER_PASSWORD_AUTH, no secret), the groups of docs/staff.md and staff users of
two 団体 (宮城県 040002 and 仙台市 041009) in several departments and every role.

moto's limits, checked with moto 5.2.5 (docs/staff.md): every user's TOTP secret is the same
fixed value (COGNITO_TOTP_MFA_SECRET), codes are checked only when
MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true (the stack sets it), and a user without a
TOTP device signs in with the password alone instead of getting MFA_SETUP — the console
refuses such a sign-in itself (hiroba_core.cognito). RevokeToken is not implemented and
GlobalSignOut looks in the wrong region for unsigned calls, so sign-out uses
AdminUserGlobalSignOut, which works in both.

    python -m infra.local.cognito code      # the current TOTP code of the local users
"""

import base64
import secrets
import sys
import time

MOTO_TOTP_SECRET = "asdfasdfasdf"  # moto.cognitoidp.models.COGNITO_TOTP_MFA_SECRET
PASSWORD_POLICY = {
    "MinimumLength": 14,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 3,
}
# (username, 団体, role, department) — every role, two 団体, several departments
STAFF = (
    ("miyagi-admin", "040002", "admin", ""),
    ("zeimu-viewer", "040002", "viewer", "zeimu"),
    ("zeimu-staff", "040002", "staff", "zeimu"),
    ("zeimu-kacho", "040002", "approver", "zeimu"),
    ("keiyaku-staff", "040002", "staff", "keiyaku"),
    ("sendai-admin", "041009", "admin", ""),
    ("gomi-staff", "041009", "staff", "gomi"),
    ("gomi-kakaricho", "041009", "approver", "gomi"),
)


def group_name(dantai, role, department):
    return f"hiroba:{dantai}:admin" if role == "admin" else f"hiroba:{dantai}:{role}:{department}"


def totp(secret=MOTO_TOTP_SECRET):
    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    padded = secret + "=" * (-len(secret) % 8)
    key = base64.b32decode(padded, casefold=True)
    return TOTP(key, 6, SHA1(), 30, enforce_key_length=False)


def code(now=None, secret=MOTO_TOTP_SECRET):
    return totp(secret).generate(int(now if now is not None else time.time())).decode()


def client(endpoint, region):
    import boto3

    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


class StaffPool:
    """create() makes the pool, client, groups and users; env() is what the apps read."""

    def __init__(self, endpoint, region, password=None):
        self.endpoint, self.region = endpoint, region
        self.password = password or ("Hb1!" + secrets.token_urlsafe(16))
        self.pool_id = self.client_id = None

    def create(self, staff=STAFF):
        cognito = client(self.endpoint, self.region)
        pool = cognito.create_user_pool(
            PoolName="hiroba-staff",
            Policies={"PasswordPolicy": PASSWORD_POLICY},
            MfaConfiguration="ON",
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        )["UserPool"]
        self.pool_id = pool["Id"]
        cognito.set_user_pool_mfa_config(
            UserPoolId=self.pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration="ON",
        )
        self.client_id = cognito.create_user_pool_client(
            UserPoolId=self.pool_id,
            ClientName="hiroba-console",
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            ReadAttributes=["email"],
            WriteAttributes=[],
        )["UserPoolClient"]["ClientId"]
        groups = set()
        for username, dantai, role, department in staff:
            group = group_name(dantai, role, department)
            if group not in groups:
                cognito.create_group(UserPoolId=self.pool_id, GroupName=group)
                groups.add(group)
            self.add_user(cognito, username, group)
        return self

    def add_user(self, cognito, username, group=None, with_totp=True):
        cognito.admin_create_user(
            UserPoolId=self.pool_id, Username=username, MessageAction="SUPPRESS"
        )
        cognito.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=self.password, Permanent=True
        )
        if group:
            cognito.admin_add_user_to_group(
                UserPoolId=self.pool_id, Username=username, GroupName=group
            )
        if with_totp:
            # enrol the authenticator as a member would on first sign-in (AssociateSoftwareToken,
            # VerifySoftwareToken), then make TOTP the member's second factor
            tokens = cognito.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": self.password},
            )["AuthenticationResult"]
            access = tokens["AccessToken"]
            secret = cognito.associate_software_token(AccessToken=access)["SecretCode"]
            for attempt in range(3):  # a code read as its 30 seconds turn over
                try:
                    cognito.verify_software_token(AccessToken=access, UserCode=code(secret=secret))
                    break
                except cognito.exceptions.CodeMismatchException:
                    if attempt == 2:
                        raise
                    time.sleep(1)
            cognito.admin_set_user_mfa_preference(
                UserPoolId=self.pool_id,
                Username=username,
                SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
            )
            cognito.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=username)

    @property
    def issuer(self):
        # what moto writes into `iss`, as AWS does: https://cognito-idp.<region>.amazonaws.com/<pool>
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    def env(self):
        return {
            "HIROBA_COGNITO_ENDPOINT": self.endpoint,
            "HIROBA_COGNITO_POOL_ID": self.pool_id,
            "HIROBA_JWT_JWKS_URL": f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json",
            "HIROBA_JWT_ISSUER": self.issuer,
            "HIROBA_JWT_AUDIENCE": self.client_id,
        }


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["code"]:
        print(code())
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Tokens and hashes: staff JWTs, form tickets, body hashes, hashed client addresses."""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from functools import lru_cache

import jwt

from . import access
from .domain.dantai import PREFECTURE_OF_MIYAGI, is_valid_code
from .errors import Forbidden, InvalidToken, Unauthorized

# What each role may do is in hiroba_core.access (PERMISSIONS); a member of staff belongs to
# one 団体 and, unless an admin of it, one department.
ROLES = ("viewer", "staff", "approver", "admin")


@dataclass(frozen=True)
class Staff:
    subject: str
    role: str
    department: str  # "" for an admin: every department of the 団体
    dantai: str = PREFECTURE_OF_MIYAGI  # 全国地方公共団体コード
    username: str = ""  # the sign-in name, for the audit trail and the pages

    def may_act_for(self, department, dantai=PREFECTURE_OF_MIYAGI):
        return access.may(self, "change", dantai, department)


def mint(secret, subject, role, department, ttl_seconds=3600, now=None, dantai=None):
    """A development token (HS256); production tokens come from Cognito."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": subject,
        "role": role,
        "department": department,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if dantai:
        claims["dantai"] = dantai
    return jwt.encode(claims, secret, algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url):
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


# Cognito groups, the only source of a member's 団体, department and role (only the pool's
# administrators can change them):
#   hiroba:<団体コード>:<role>:<department>   e.g. hiroba:041009:staff:gomi
#   hiroba:<団体コード>:admin                 every department of that 団体
# and, from before 団体 existed, the prefecture's hiroba-admin and hiroba-staff-<department>.
GROUP_PREFIX = "hiroba:"
ADMIN_GROUP = "hiroba-admin"
STAFF_GROUP = "hiroba-staff-"  # + the department's id: hiroba-staff-johoseisaku


def verify_id_token(token, settings):
    """The claims of a Cognito ID token, checked against the pool's JWKS (RS256), the
    issuer, the audience (the app client) and `token_use` = id; Unauthorized otherwise.
    The same code runs in production and locally: only the configured URLs differ (the
    local pool is moto's, on the loopback server `make run` starts)."""
    if not (settings.jwt_jwks_url and settings.jwt_issuer and settings.jwt_audience):
        raise Unauthorized("not configured")
    try:
        key = _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token).key
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={"require": ["exp", "sub", "iss", "aud", "token_use"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("expired") from None
    except (jwt.PyJWTError, ValueError):
        raise Unauthorized("invalid") from None
    if claims.get("token_use") != "id":
        raise Unauthorized("not an ID token")
    return claims


def staff_from_claims(claims):
    """The Staff of verified ID-token claims (Forbidden without exactly one role)."""
    return _from_groups(claims)


def verify(authorization, settings):
    """The Staff behind an `Authorization: Bearer …` header, or Unauthorized/Forbidden.

    Production (Cognito, RS256 from the pool's JWKS): the issuer and the audience (the app
    client) are required and checked, the token must be an ID token (`token_use`), and the
    role, 団体 and department come only from `cognito:groups`, which only the pool's
    administrators can change; never from `custom:` attributes, which a user can write
    through the app client unless every write permission is taken away.
    Development (HS256 with HIROBA_JWT_SECRET, refused in production): `role`,
    `department` and `dantai` claims, as `python -m infra.tools token` mints them."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing")
    token = authorization[7:].strip()
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError:
        raise Unauthorized("invalid") from None
    if settings.jwt_jwks_url and (algorithm != "HS256" or settings.production):
        return _from_groups(verify_id_token(token, settings))
    if not (settings.jwt_secret and not settings.production):
        raise Unauthorized("not configured")
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("expired") from None
    except (jwt.PyJWTError, ValueError):
        raise Unauthorized("invalid") from None
    role = claims.get("role")
    department = claims.get("department") or ""
    dantai = claims.get("dantai") or PREFECTURE_OF_MIYAGI
    if role not in ROLES:
        raise Forbidden()
    return Staff(str(claims["sub"]), role, "" if role == "admin" else str(department), dantai)


def _role_of(group):
    """(dantai, role, department) of one group name, or None."""
    group = str(group)
    if group == ADMIN_GROUP:
        return PREFECTURE_OF_MIYAGI, "admin", ""
    if group.startswith(STAFF_GROUP) and len(group) > len(STAFF_GROUP):
        return PREFECTURE_OF_MIYAGI, "staff", group[len(STAFF_GROUP) :]
    if not group.startswith(GROUP_PREFIX):
        return None
    parts = group[len(GROUP_PREFIX) :].split(":")
    if len(parts) == 2 and parts[1] == "admin":
        return parts[0], "admin", ""
    if len(parts) == 3 and parts[1] in ROLES and parts[1] != "admin" and parts[2]:
        return parts[0], parts[1], parts[2]
    return None


def _from_groups(claims):
    groups = claims.get("cognito:groups") or []
    if not isinstance(groups, list):
        raise Forbidden()
    roles = {r for r in (_role_of(g) for g in groups) if r is not None}
    if len(roles) != 1:
        raise Forbidden()  # none, or several: which 団体 and department would they act for?
    dantai, role, department = roles.pop()
    if not is_valid_code(dantai):
        raise Forbidden()
    username = str(claims.get("cognito:username") or claims.get("email") or "")
    return Staff(str(claims["sub"]), role, department, dantai, username)


def _mac(secret, message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()


def key_list(keys):
    """A key or the settings' keys (current first, then previous ones) as a tuple."""
    return (keys,) if isinstance(keys, str) else tuple(keys)


def form_ticket(secret, now=None):
    """`<issued>.<mac>`: lets the API tell how long a form was open, without a session."""
    issued = str(int(now if now is not None else time.time()))
    mac = base64.urlsafe_b64encode(_mac(secret, "ticket:" + issued)[:16]).decode().rstrip("=")
    return f"{issued}.{mac}"


def ticket_age(keys, ticket, now=None):
    """Seconds since the ticket was issued, or None when no key (current or previous) made it."""
    try:
        issued, mac = str(ticket).split(".", 1)
        int(issued)
    except (ValueError, AttributeError):
        return None
    for key in key_list(keys):
        expected = form_ticket(key, int(issued)).split(".", 1)[1]
        if hmac.compare_digest(mac.encode(), expected.encode()):
            return int(now if now is not None else time.time()) - int(issued)
    return None


def body_hash(data):
    """SHA-256 of a canonical JSON form, for Idempotency-Key records."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def client_hash(secret, address):
    """The client address as a keyed hash: rate limits without storing addresses."""
    return _mac(secret, "client:" + (address or "unknown")).hex()[:32]


# ---------------------------------------------------------------- newsletter links

CONFIRM_SECONDS = 7 * 86400  # a confirmation link is valid for 7 days


@lru_cache(maxsize=8)
def _fernet(keys):
    """Encrypts with the first key, decrypts with any (MultiFernet): links mailed before a
    rotation keep working while the old key is listed as previous."""
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(hashlib.sha256(f"hiroba-link-token:{k}".encode()).digest())
            )
            for k in keys
        ]
    )


def seal(keys, purpose, data, now=None):
    """An encrypted, authenticated link token (Fernet: AES-128-CBC + HMAC-SHA256, issued-at
    inside). The address it may carry is unreadable without the secret."""
    payload = json.dumps({"p": purpose, **data}, ensure_ascii=False, separators=(",", ":"))
    issued = int(now if now is not None else time.time())
    return _fernet(key_list(keys)[:1]).encrypt_at_time(payload.encode(), issued).decode()


def unseal(keys, purpose, token, max_age=None, now=None):
    """The data of a token sealed for `purpose` with any of `keys`; InvalidToken when forged,
    altered, for another purpose or older than max_age seconds."""
    from cryptography.fernet import InvalidToken as FernetInvalid

    current = int(now if now is not None else time.time())
    fernet = _fernet(key_list(keys))
    try:
        raw = str(token or "").encode("ascii")
        if max_age is None:
            text = fernet.decrypt(raw)
        else:
            text = fernet.decrypt_at_time(raw, max_age, current)
        data = json.loads(text)
    except (FernetInvalid, UnicodeError, ValueError):
        raise InvalidToken() from None
    if not isinstance(data, dict) or data.pop("p", None) != purpose:
        raise InvalidToken()
    return data


def subscriber_id(secret, email):
    """A newsletter subscriber's key: a keyed hash of the address, never the address."""
    return _mac(secret, "subscriber:" + email.strip().lower()).hex()[:32]


def subscriber_ids(keys, email):
    """The subscriber's key under every key, current first: a record made before a rotation
    is still found (and still suppressed) after it."""
    return [subscriber_id(key, email) for key in key_list(keys)]


def address_hash(secret, email):
    """An address as a keyed hash, for counting mails to it without storing it."""
    return _mac(secret, "address:" + email.strip().lower()).hex()[:32]


# ---------------------------------------------------------------- application inquiries


def inquiry_hash(secret, reference, code):
    """What the store keeps of an application's 問合せ番号: a keyed hash, never the code."""
    return _mac(secret, f"inquiry:{reference}:{code}").hex()


def matches(expected, actual):
    """Constant-time comparison of two hashes (str)."""
    return hmac.compare_digest(str(expected).encode(), str(actual).encode())


def inquiry_matches(keys, expected, reference, code):
    """Whether `code` is the application's 問合せ番号 under any key; every key is tried, so
    the time taken does not depend on which one matched."""
    found = False
    for key in key_list(keys):
        found |= matches(expected, inquiry_hash(key, reference, code))
    return found


def derived_code(secret, purpose, message, alphabet, length):
    """A code of `length` characters of `alphabet` derived from a keyed hash, so the same
    request can be answered with the same code again without storing it."""
    number = int.from_bytes(_mac(secret, f"{purpose}:{message}"), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(alphabet))
        chars.append(alphabet[digit])
    return "".join(chars)


# ---------------------------------------------------------------- the online form's codes


def code_hash(secret, draft_id, code):
    """What a draft keeps of the six-digit code mailed to the resident: a keyed hash bound
    to the draft, so a code is worth nothing for another draft."""
    return _mac(secret, f"draft-code:{draft_id}:{code}").hex()


def code_matches(keys, expected, draft_id, code):
    """Whether `code` is the draft's code under any key, in constant time."""
    found = False
    for key in key_list(keys):
        found |= matches(expected, code_hash(key, draft_id, code))
    return found

"""Tokens and hashes: staff JWTs, form tickets, body hashes, hashed client addresses."""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from functools import lru_cache

import jwt

from .errors import Forbidden, InvalidToken, Unauthorized

ROLES = ("staff", "admin")  # admin may act for every department


@dataclass(frozen=True)
class Staff:
    subject: str
    role: str
    department: str

    def may_act_for(self, department):
        return self.role == "admin" or self.department == department

    def require(self, department):
        if not self.may_act_for(department):
            raise Forbidden()


def mint(secret, subject, role, department, ttl_seconds=3600, now=None):
    """A development token (HS256); production tokens come from Cognito."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": subject,
        "role": role,
        "department": department,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url):
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


ADMIN_GROUP = "hiroba-admin"
STAFF_GROUP = "hiroba-staff-"  # + the department's id: hiroba-staff-johoseisaku


def verify(authorization, settings):
    """The Staff behind an `Authorization: Bearer …` header, or Unauthorized/Forbidden.

    Production (Cognito, RS256 from the pool's JWKS): the issuer and the audience (the app
    client) are required and checked, the token must be an ID token (`token_use`), and the
    role and department come only from `cognito:groups`, which only the pool's
    administrators can change; never from `custom:` attributes, which a user can write
    through the app client unless every write permission is taken away.
    Development (HS256 with HIROBA_JWT_SECRET, refused in production): `role` and
    `department` claims, as `python -m infra.tools token` mints them."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing")
    token = authorization[7:].strip()
    try:
        if settings.jwt_jwks_url:
            if not (settings.jwt_issuer and settings.jwt_audience):
                raise Unauthorized("not configured")
            key = _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                options={"require": ["exp", "sub", "iss", "aud", "token_use"]},
            )
            if claims.get("token_use") != "id":
                raise Unauthorized("not an ID token")
            return _from_groups(claims)
        if settings.jwt_secret and not settings.production:
            claims = jwt.decode(
                token,
                settings.jwt_secret,
                algorithms=["HS256"],
                options={"require": ["exp", "sub"]},
            )
        else:
            raise Unauthorized("not configured")
    except jwt.ExpiredSignatureError:
        raise Unauthorized("expired") from None
    except (jwt.PyJWTError, ValueError):
        raise Unauthorized("invalid") from None
    role = claims.get("role")
    department = claims.get("department") or ""
    if role not in ROLES:
        raise Forbidden()
    return Staff(str(claims["sub"]), role, str(department))


def _from_groups(claims):
    groups = claims.get("cognito:groups") or []
    if not isinstance(groups, list):
        raise Forbidden()
    subject = str(claims["sub"])
    if ADMIN_GROUP in groups:
        return Staff(subject, "admin", "")
    departments = [g[len(STAFF_GROUP) :] for g in groups if str(g).startswith(STAFF_GROUP)]
    if len(departments) != 1 or not departments[0]:
        raise Forbidden()  # none, or several: which department would they act for?
    return Staff(subject, "staff", departments[0])


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

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


def verify(authorization, settings):
    """The Staff behind an `Authorization: Bearer …` header, or Unauthorized/Forbidden."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing")
    token = authorization[7:].strip()
    options = {"require": ["exp", "sub"]}
    try:
        if settings.jwt_jwks_url:
            key = _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                options=options,
            )
        elif settings.jwt_secret:
            claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], options=options)
        else:
            raise Unauthorized("not configured")
    except jwt.ExpiredSignatureError:
        raise Unauthorized("expired") from None
    except (jwt.PyJWTError, ValueError):
        raise Unauthorized("invalid") from None
    role = claims.get("role") or claims.get("custom:role")
    department = claims.get("department") or claims.get("custom:department") or ""
    if role not in ROLES:
        raise Forbidden()
    return Staff(str(claims["sub"]), role, str(department))


def _mac(secret, message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()


def form_ticket(secret, now=None):
    """`<issued>.<mac>`: lets the API tell how long a form was open, without a session."""
    issued = str(int(now if now is not None else time.time()))
    mac = base64.urlsafe_b64encode(_mac(secret, "ticket:" + issued)[:16]).decode().rstrip("=")
    return f"{issued}.{mac}"


def ticket_age(secret, ticket, now=None):
    """Seconds since the ticket was issued, or None when it is not one of ours."""
    try:
        issued, mac = str(ticket).split(".", 1)
        expected = form_ticket(secret, int(issued)).split(".", 1)[1]
    except (ValueError, AttributeError):
        return None
    if not hmac.compare_digest(mac, expected):
        return None
    return int(now if now is not None else time.time()) - int(issued)


def body_hash(data):
    """SHA-256 of a canonical JSON form, for Idempotency-Key records."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def client_hash(secret, address):
    """The client address as a keyed hash: rate limits without storing addresses."""
    return _mac(secret, "client:" + (address or "unknown")).hex()[:32]


# ---------------------------------------------------------------- newsletter links

CONFIRM_SECONDS = 7 * 86400  # a confirmation link is valid for 7 days


@lru_cache(maxsize=4)
def _fernet(secret):
    from cryptography.fernet import Fernet

    key = hashlib.sha256(("hiroba-link-token:" + secret).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret, purpose, data, now=None):
    """An encrypted, authenticated link token (Fernet: AES-128-CBC + HMAC-SHA256, issued-at
    inside). The address it may carry is unreadable without the secret."""
    payload = json.dumps({"p": purpose, **data}, ensure_ascii=False, separators=(",", ":"))
    issued = int(now if now is not None else time.time())
    return _fernet(secret).encrypt_at_time(payload.encode(), issued).decode()


def unseal(secret, purpose, token, max_age=None, now=None):
    """The data of a token sealed for `purpose`; InvalidToken when forged, altered, for
    another purpose or older than max_age seconds."""
    from cryptography.fernet import InvalidToken as FernetInvalid

    current = int(now if now is not None else time.time())
    try:
        raw = str(token or "").encode("ascii")
        if max_age is None:
            text = _fernet(secret).decrypt(raw)
        else:
            text = _fernet(secret).decrypt_at_time(raw, max_age, current)
        data = json.loads(text)
    except (FernetInvalid, UnicodeError, ValueError):
        raise InvalidToken() from None
    if not isinstance(data, dict) or data.pop("p", None) != purpose:
        raise InvalidToken()
    return data


def subscriber_id(secret, email):
    """A newsletter subscriber's key: a keyed hash of the address, never the address."""
    return _mac(secret, "subscriber:" + email.strip().lower()).hex()[:32]


# ---------------------------------------------------------------- application inquiries


def inquiry_hash(secret, reference, code):
    """What the store keeps of an application's 問合せ番号: a keyed hash, never the code."""
    return _mac(secret, f"inquiry:{reference}:{code}").hex()


def matches(expected, actual):
    """Constant-time comparison of two hashes (str)."""
    return hmac.compare_digest(str(expected).encode(), str(actual).encode())


def derived_code(secret, purpose, message, alphabet, length):
    """A code of `length` characters of `alphabet` derived from a keyed hash, so the same
    request can be answered with the same code again without storing it."""
    number = int.from_bytes(_mac(secret, f"{purpose}:{message}"), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(alphabet))
        chars.append(alphabet[digit])
    return "".join(chars)

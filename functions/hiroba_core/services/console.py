"""The staff console's sessions and audit trail.

Sign-in: the password, then the TOTP code (cognito.StaffPool); the ID token is verified
against the pool's JWKS (tokens.verify_id_token) and its groups give the member's 団体,
department and role. The session lives in the console's table under a hash of a random id
that only the member's cookie holds; it ends after `session_idle_seconds` without a
request (30 minutes), after a working day whatever happens, or at sign-out, which also
revokes the member's refresh tokens at Cognito.

Every action of a member is appended to the audit trail (who, 団体, what, on which record,
when; never personal data itself): sign-in, sign-out, each view of personal data, each
export, change, approval, refund and send.
"""

import csv
import hmac
import io
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from .. import access, tokens
from ..cognito import Challenge, SignInRefused
from ..errors import DomainError, Forbidden, InvalidToken, Unauthorized
from ..tokens import Staff
from ..validation import normalize
from .staff import csv_cell

MAX_SESSION_SECONDS = 8 * 3600  # a working day: then the password and code again
MFA_STEP_SECONDS = 180  # Cognito's challenge session lasts three minutes
PENDING_PURPOSE = "console-sign-in"

# action -> Japanese label (the audit page and CSV show these)
ACTIONS = {
    "sign-in": "サインイン",
    "sign-out": "サインアウト",
    "view-personal": "個人情報の閲覧",
    "export": "書き出し",
    "change": "状態の変更",
    "correction": "補正依頼",
    "propose": "起案",
    "approve": "決裁",
    "moderate": "意見の非表示・再表示",
    "respond": "県の考え方の記入",
    "refund": "返金",
    "send": "送信",
    "audit-export": "監査記録の書き出し",
}


def _epoch(now):
    return int(now if now is not None else time.time())


def _iso(epoch):
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Session:
    id: str
    staff: Staff
    csrf: str
    created: int
    last_seen: int


# ---------------------------------------------------------------- sign-in


def begin_sign_in(pool, settings, username, password, now=None):
    """Check the password; a sealed token (for a short-lived cookie) that carries Cognito's
    challenge to the code page, or SignInRefused."""
    name = normalize(username if isinstance(username, str) else "")
    if not name or len(name) > 128 or not isinstance(password, str) or not password:
        raise SignInRefused("credentials")
    challenge = pool.start(name, password)
    return tokens.seal(
        settings.keys,
        PENDING_PURPOSE,
        {"u": challenge.username, "s": challenge.session},
        now=_epoch(now),
    )


def pending_username(settings, pending, now=None):
    try:
        data = tokens.unseal(settings.keys, PENDING_PURPOSE, pending, MFA_STEP_SECONDS, _epoch(now))
    except InvalidToken:
        return None
    return data.get("u")


def finish_sign_in(store, pool, settings, pending, code, now=None):
    """The TOTP code answers the challenge: a new Session (audited), or SignInRefused."""
    epoch = _epoch(now)
    try:
        data = tokens.unseal(settings.keys, PENDING_PURPOSE, pending, MFA_STEP_SECONDS, epoch)
    except InvalidToken:
        raise SignInRefused("expired") from None
    code = normalize(code if isinstance(code, str) else "").replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise SignInRefused("code")
    issued = pool.answer(Challenge(data["u"], data["s"]), code)
    try:
        staff = tokens.staff_from_claims(tokens.verify_id_token(issued.id_token, settings))
    except DomainError:
        # a token the pool issued that does not verify, or no single role in its groups
        raise SignInRefused("no-role") from None
    if not staff.username:
        staff = Staff(staff.subject, staff.role, staff.department, staff.dantai, data["u"])
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    store.put_session(
        session_id,
        {
            "subject": staff.subject,
            "username": staff.username,
            "role": staff.role,
            "department": staff.department,
            "dantai": staff.dantai,
            "csrf": csrf,
            "created": epoch,
            "last_seen": epoch,
            "expires_at": epoch + settings.session_idle_seconds,
        },
    )
    record(store, staff, "sign-in", now=epoch)
    return Session(session_id, staff, csrf, epoch, epoch)


def current(store, settings, session_id, now=None, touch=True):
    """The Session of a cookie's id, its idle clock moved on; Unauthorized when there is
    none, it was idle for `session_idle_seconds` or is older than a working day."""
    epoch = _epoch(now)
    if not isinstance(session_id, str) or not 20 <= len(session_id) <= 100:
        raise Unauthorized("missing")
    data = store.get_session(session_id)
    if data is None:
        raise Unauthorized("missing")
    last_seen, created = int(data["last_seen"]), int(data["created"])
    if epoch - last_seen >= settings.session_idle_seconds or (
        epoch - created >= MAX_SESSION_SECONDS
    ):
        store.end_session(session_id, epoch)
        raise Unauthorized("expired")
    if touch and epoch > last_seen:
        store.touch_session(session_id, epoch, epoch + settings.session_idle_seconds)
    staff = Staff(
        data["subject"], data["role"], data["department"], data["dantai"], data["username"]
    )
    return Session(session_id, staff, data["csrf"], created, epoch)


def check_csrf(session, token):
    """Every form of the console carries the session's CSRF token; Forbidden otherwise."""
    given = token if isinstance(token, str) else ""
    if not given or not hmac.compare_digest(given.encode(), session.csrf.encode()):
        raise Forbidden()


def sign_out(store, pool, session, now=None):
    """End the session, revoke the refresh tokens at Cognito, record it."""
    store.end_session(session.id, _epoch(now))
    pool.sign_out(session.staff.username)
    record(store, session.staff, "sign-out", now=now)


# ---------------------------------------------------------------- audit trail


def record(store, staff, action, target="", detail="", uow=None, now=None):
    """Append what `staff` did to the audit trail of their 団体 (inside `uow`: with the
    change, in one transaction). `target` names the record (a 到達番号, a consultation);
    `detail` says what changed, never personal data."""
    assert action in ACTIONS, action
    entry = {
        "at": _iso(_epoch(now)),
        "dantai": staff.dantai,
        "subject": staff.subject,
        "username": staff.username,
        "role": staff.role,
        "department": staff.department,
        "action": action,
        "target": str(target),
        "detail": str(detail)[:500],
    }
    return store.append_audit(entry, uow=uow)


def audit_page(store, staff, before=None, limit=50):
    access.authorize(staff, "audit", staff.dantai)
    return store.audit_entries(staff.dantai, limit=limit, before=before)


AUDIT_COLUMNS = (
    ("at", "日時（UTC）"),
    ("username", "職員"),
    ("role", "役割"),
    ("department", "課"),
    ("action", "操作"),
    ("target", "対象"),
    ("detail", "内容"),
)


def audit_csv(store, staff, now=None):
    """The 団体's whole audit trail as CSV (BOM, every cell neutralised); the export
    itself is recorded first."""
    access.authorize(staff, "audit", staff.dantai)
    record(store, staff, "audit-export", now=now)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in AUDIT_COLUMNS])
    for entry in store.all_audit_entries(staff.dantai):
        row = [entry.get(key, "") for key, _ in AUDIT_COLUMNS]
        row[4] = ACTIONS.get(row[4], row[4])
        writer.writerow([csv_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()

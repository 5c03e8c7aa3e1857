"""Sign-in (password, then the TOTP code), sign-out, the home page and the audit trail."""

from urllib.parse import urlsplit

from chalice import Blueprint, Response

from hiroba_core.cognito import SignInRefused
from hiroba_core.services import console as service
from hiroba_web import console as web
from hiroba_web import context
from hiroba_web.http import NO_STORE

bp = Blueprint(__name__)

REFUSED = {
    "credentials": "職員IDまたはパスワードが正しくありません。",
    "code": "確認コードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。",
    "expired": "時間がたったため、サインインをやり直してください（確認コードは3分以内に入力します）。",
    "mfa-not-set-up": "このIDには二要素認証（認証アプリ）が設定されていないため、サインインできません。管理者に設定を依頼してください。",
    "unavailable": "認証サービスに接続できません。少し時間をおいてやり直してください。",
    "no-role": "このIDには、この画面を使う役割（団体・課・役割）が設定されていません。管理者に確認してください。",
}


def _next(query):
    """Only a path of the console itself: never an open redirect."""
    target = (query or {}).get("next") or web.BASE
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(web.BASE) or "\\" in target:
        return web.BASE
    return target


@bp.route("/staff/sign-in", methods=["GET"])
@web.public
def sign_in_form():
    query = bp.current_request.query_params or {}
    notice = (
        "操作のない時間が30分を超えたため、サインアウトしました。" if query.get("expired") else ""
    )
    return web.page("sign-in.html", title="職員サインイン", notice=notice, next=_next(query))


@bp.route("/staff/sign-in", methods=["POST"], content_types=[web.FORM])
@web.public
def sign_in():
    request = bp.current_request
    fields = web.form(request)
    try:
        pending = service.begin_sign_in(
            web.pool(), context.settings(), fields.get("username"), fields.get("password")
        )
    except SignInRefused as refused:
        return web.page(
            "sign-in.html",
            status=400 if refused.reason != "unavailable" else 503,
            title="職員サインイン",
            error=REFUSED[refused.reason],
            username=fields.get("username", "")[:128],
            next=_next(fields),
        )
    target = "/staff/sign-in/code?next=" + _next(fields)
    return web.redirect(target, [web.cookie(web.PENDING_COOKIE, pending, service.MFA_STEP_SECONDS)])


@bp.route("/staff/sign-in/code", methods=["GET"])
@web.public
def code_form():
    request = bp.current_request
    pending = web.read_cookie(request, web.PENDING_COOKIE)
    if not service.pending_username(context.settings(), pending, web.clock()):
        return web.redirect("/staff/sign-in?expired=")
    return web.page("sign-in-code.html", title="確認コードの入力", next=_next(request.query_params))


@bp.route("/staff/sign-in/code", methods=["POST"], content_types=[web.FORM])
@web.public
def code():
    request = bp.current_request
    fields = web.form(request)
    pending = web.read_cookie(request, web.PENDING_COOKIE)
    try:
        session = service.finish_sign_in(
            web.store(), web.pool(), context.settings(), pending, fields.get("code"), web.clock()
        )
    except SignInRefused as refused:
        if refused.reason == "code":
            return web.page(
                "sign-in-code.html",
                status=400,
                title="確認コードの入力",
                error=REFUSED["code"],
                next=_next(fields),
            )
        return web.page(
            "sign-in.html",
            status=403 if refused.reason == "no-role" else 400,
            title="職員サインイン",
            error=REFUSED[refused.reason],
        )
    return web.redirect(
        _next(fields),
        [
            web.cookie(web.SESSION_COOKIE, session.id),
            web.cookie(web.PENDING_COOKIE, "", 0),
        ],
    )


@bp.route("/staff/sign-out", methods=["POST"], content_types=[web.FORM])
@web.guarded(bp, "view")
def sign_out(session, fields):
    service.sign_out(web.store(), web.pool(), session, web.clock())
    return web.page(
        "signed-out.html",
        title="サインアウトしました",
        headers={"Set-Cookie": web.cookie(web.SESSION_COOKIE, "", 0)},
    )


@bp.route("/staff", methods=["GET"])
@web.guarded(bp, "view")
def home(session):
    return web.page(
        "home.html",
        title="職員用画面",
        session=session,
        catalogue=web.procedures_of(session.staff),
    )


@bp.route("/staff/audit", methods=["GET"])
@web.guarded(bp, "audit")
def audit(session):
    before = (bp.current_request.query_params or {}).get("before")
    entries, cursor = service.audit_page(web.store(), session.staff, before=before)
    return web.page("audit.html", title="監査記録", session=session, entries=entries, cursor=cursor)


@bp.route("/staff/audit.csv", methods=["GET"])
@web.guarded(bp, "audit")
def audit_csv(session):
    text = service.audit_csv(web.store(), session.staff, now=web.clock())
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="audit-{session.staff.dantai}.csv"',
            **NO_STORE,
        },
    )

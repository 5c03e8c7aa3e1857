"""The staff console's web side: the session cookie, the guard every page has, the pages.

Each console route is declared with `@guarded(permission)` (a member must be signed in;
the service then calls hiroba_core.access.authorize with the record's 団体 and department)
or `@public` (the sign-in pages). tests/functions/test_console_routes.py enumerates the
app's routes and fails for one without either, and calls every guarded route as a member
of another 団体 and of another department.
"""

import functools
from urllib.parse import parse_qsl, quote

from chalice import Response

from hiroba_core import problems
from hiroba_core.cognito import SignInRefused, StaffPool
from hiroba_core.errors import DomainError, Forbidden, NotFound, Unauthorized
from hiroba_core.services import console as service
from hiroba_core.store.console import ConsoleStore

from . import context, templates
from .http import FORM, MAX_BODY, NO_STORE, logger, media_type, read_cookie

SESSION_COOKIE = "hiroba_staff"
PENDING_COOKIE = "hiroba_staff_pending"
COOKIE_PATH = "/staff"
BASE = "/staff/"


# ---------------------------------------------------------------- context


_singletons = {}


def store():
    if "store" not in _singletons:
        _singletons["store"] = ConsoleStore(context.settings())
    return _singletons["store"]


def pool():
    if "pool" not in _singletons:
        _singletons["pool"] = StaffPool(context.settings())
    return _singletons["pool"]


def clock():
    """Now, in epoch seconds (one place, so the tests' idle timeout uses the same clock)."""
    import time

    return int(time.time())


# ---------------------------------------------------------------- cookies


def cookie(name, value, max_age=None):
    parts = [f"{name}={value}", f"Path={COOKIE_PATH}", "HttpOnly", "Secure", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def form(request):
    """The posted form fields (application/x-www-form-urlencoded only)."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY:
        raise problems.too_large(MAX_BODY)
    if media_type(request) != FORM:
        raise problems.unsupported_media_type(media_type(request) or "(none)", (FORM,))
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise problems.bad_json() from None


# ---------------------------------------------------------------- pages


ROLE_LABELS = {"viewer": "閲覧者", "staff": "担当職員", "approver": "決裁者", "admin": "管理者"}


def page(template, status=200, headers=None, **values):
    session = values.get("session")
    if session is not None:
        values.setdefault("dantai_name", dantai_name(session.staff.dantai))
        values.setdefault("role_label", ROLE_LABELS.get(session.staff.role, session.staff.role))
    values.setdefault("actions", service.ACTIONS)
    body = templates.render(f"console/{template}", **values)
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            **NO_STORE,
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def redirect(location, cookies=None):
    headers = {"Location": location, **NO_STORE}
    if cookies:
        headers["Set-Cookie"] = cookies if len(cookies) > 1 else cookies[0]
    return Response(body="", status_code=303, headers=headers)


def sign_in_redirect(request, expired=False):
    target = request.context.get("path") or BASE
    query = f"?next={quote(target)}" + ("&expired=1" if expired else "")
    return redirect(BASE + "sign-in" + query, [cookie(SESSION_COOKIE, "", 0)])


def error_page(status, title, text, session=None):
    return page("error.html", status=status, title=title, text=text, session=session)


# ---------------------------------------------------------------- the guard


def _answer_error(error, session):
    if isinstance(error, NotFound):
        return error_page(404, "見つかりません", "指定されたものは見つかりません。", session)
    if isinstance(error, Forbidden):
        return error_page(
            403,
            "権限がありません",
            "この操作は、あなたの役割または担当課では行えません。",
            session,
        )
    if isinstance(error, SignInRefused):
        return error_page(400, "サインインできません", "もう一度サインインしてください。")
    problem = problems.from_error(error)
    data = problem.body()
    listing = [e["message"] for e in data.get("errors", [])]
    return page(
        "error.html",
        status=problem.status,
        title=data["title"],
        text=data["detail"],
        errors=listing,
        session=session,
    )


def guarded(blueprint, permission, page=None):
    """The view runs with the signed-in member's Session as first argument; without a live
    session the browser goes to the sign-in page; a POST must carry the CSRF token.
    `permission` names what the route needs at least (hiroba_core.access.PERMISSIONS);
    the service checks the record's 団体 and department. A DomainError the view raises
    becomes a page: `page(error, session, *route args)` when it answers one (a form shown
    again with what to correct), else the console's error page. Views never catch."""
    assert permission in service.access.PERMISSIONS, permission

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            request = blueprint.current_request
            session = None
            try:
                session = service.current(
                    store(), context.settings(), read_cookie(request, SESSION_COOKIE), clock()
                )
                if request.method == "POST":
                    fields = form(request)
                    service.check_csrf(session, fields.get("csrf"))
                    kwargs["fields"] = fields
                return view(session, *args, **kwargs)
            except Unauthorized as error:
                return sign_in_redirect(request, expired=error.reason == "expired")
            except problems.Problem as problem:
                return error_page(problem.status, problem.body()["title"], problem.detail)
            except DomainError as error:
                answer = None
                if page is not None and session is not None:
                    answer = page(error, session, *args, **kwargs)
                return answer or _answer_error(error, session)
            except Exception:
                logger.exception("unhandled error in %s", view.__name__)
                return error_page(500, "エラー", "システムの内部でエラーが起きました。")

        wrapper.hiroba_guard = permission
        return wrapper

    return decorate


def public(view):
    """A page that needs no session (the sign-in pages); marked, so the route test knows
    it was meant to be open. Its errors are answered as the guarded pages' are."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except problems.Problem as problem:
            return error_page(problem.status, problem.body()["title"], problem.detail)
        except DomainError as error:
            return _answer_error(error, None)
        except Exception:
            logger.exception("unhandled error in %s", view.__name__)
            return error_page(500, "エラー", "システムの内部でエラーが起きました。")

    wrapper.hiroba_guard = None
    return wrapper


# ---------------------------------------------------------------- what a member sees


def procedures_of(staff):
    """The catalogue's procedures whose applications `staff` may see, by title."""
    from hiroba_core.access import may

    found = [p for p in context.catalogue().values() if may(staff, "view", p.dantai, p.department)]
    return sorted(found, key=lambda p: (p.department, p.title))


def dantai_name(code):
    from hiroba_core import catalogue

    registry = catalogue.load_dantai(context.settings().procedures_catalogue)
    found = registry.get(code)
    return found.name if found else code


def audit_hook(staff, now=None):
    """`audit(uow, action, target, detail)` for the services: the entry commits with the
    change it records."""

    def audit(uow, action, target, detail):
        service.record(store(), staff, action, target, detail, uow=uow, now=now)

    return audit


def record(staff, action, target="", detail=""):
    """Append one entry on its own (a view or an export: nothing else is written)."""
    service.record(store(), staff, action, target, detail)

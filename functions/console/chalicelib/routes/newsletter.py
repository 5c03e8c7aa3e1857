"""The newsletter (メルマガ・みやぎ): subscribers per topic and language, bounces and
suppressions, a built issue's progress, and its send (a confirm page first; the
exactly-once sender; a second send of a sent issue does nothing). The prefecture's 広報課
only (hiroba_core.services.newsletter_staff)."""

from chalice import Blueprint

from hiroba_core.access import may
from hiroba_core.domain.dantai import PREFECTURE_OF_MIYAGI
from hiroba_core.services import newsletter_staff as service
from hiroba_core.validation import normalize
from hiroba_web import console as web
from hiroba_web import context

bp = Blueprint(__name__)
BASE = "/staff/newsletter"


@bp.route("/staff/newsletter", methods=["GET"])
@web.guarded(bp, "view")
def overview(session):
    service.authorize_newsletter(session.staff, "view")
    wanted = normalize((bp.current_request.query_params or {}).get("issue") or "")
    if wanted:
        service.read_issue(context.settings(), wanted)  # NotFound: the error page says so
        return web.redirect(f"{BASE}/issues/{wanted}")
    store = context.newsletter_store()
    counts, newest = service.suppressions(store)
    return web.page(
        "newsletter.html",
        title="メルマガ・みやぎ",
        session=session,
        issues=service.issue_ids(context.settings()),
        subscribers=service.subscriber_counts(store),
        suppression_counts=counts,
        suppressed=newest,
    )


def _issue_page(session, issue_id, template, title, **values):
    issue, data = service.read_issue(context.settings(), issue_id)
    department = service.department_of(data)
    service.authorize_newsletter(session.staff, "view", department)
    return web.page(
        template,
        title=f"{title}: {issue.subject}",
        session=session,
        issue=issue,
        data=data,
        progress=service.progress(context.newsletter_store(), issue),
        may_send=may(session.staff, "send", PREFECTURE_OF_MIYAGI, department),
        **values,
    )


@bp.route("/staff/newsletter/issues/{issue_id}", methods=["GET"])
@web.guarded(bp, "view")
def issue_progress(session, issue_id):
    already = "already" in (bp.current_request.query_params or {})
    return _issue_page(session, issue_id, "newsletter-issue.html", "配信の状況", already=already)


@bp.route("/staff/newsletter/issues/{issue_id}/send", methods=["GET"])
@web.guarded(bp, "send")
def confirm_send(session, issue_id):
    _, data = service.read_issue(context.settings(), issue_id)
    service.authorize_newsletter(session.staff, "send", service.department_of(data))
    return _issue_page(session, issue_id, "newsletter-send.html", "送信の確認")


@bp.route("/staff/newsletter/issues/{issue_id}/send", methods=["POST"], content_types=[web.FORM])
@web.guarded(bp, "send")
def send(session, issue_id, fields):
    issue, data = service.read_issue(context.settings(), issue_id)
    report, _ = service.send(
        context.newsletter_store(),
        context.mailer(),
        issue,
        data,
        session.staff,
        audit=web.audit_hook(session.staff),
    )
    return web.redirect(f"{BASE}/issues/{issue_id}" + ("" if report else "?already=1"))

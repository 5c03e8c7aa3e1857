"""Applicants: the status of an application by 到達番号 and 問合せ番号 (申請状況の照会).

POST /inquiries answers JSON, or an HTML page to a browser posting the form without script;
POST /m/inquiries answers feature phones (ポケットみやぎ) in Shift_JIS. One service behind
both: every attempt counts against the client's limit, and a wrong reference number and a
wrong code get the same answer.
"""

from chalice import Blueprint

from hiroba_core import problems
from hiroba_core.errors import DomainError
from hiroba_core.services import applications
from hiroba_web import context, keitai, procedure_pages
from hiroba_web.http import FORM, JSON, api, client_address, json_response, read_body, wants_html

bp = Blueprint(__name__)


def _inquire(request, raw):
    application, procedure = applications.inquire(
        context.procedures_store(),
        context.catalogue(),
        raw,
        client=client_address(request, context.settings()),
    )
    return applications.inquiry_view(application, procedure)


def _problem(error):
    return error if isinstance(error, problems.Problem) else problems.from_error(error)


@bp.route("/inquiries", methods=["POST"], content_types=[JSON, FORM])
@api
def post_inquiry():
    request = bp.current_request
    if not wants_html(request):
        return json_response(_inquire(request, read_body(request, (JSON, FORM))))
    try:
        raw = read_body(request, (FORM,))
        view = _inquire(request, raw)
    except (problems.Problem, DomainError) as error:
        return procedure_pages.error(_problem(error))
    numbers = {k: raw.get(k, "") for k in ("reference", "inquiry_code")}
    return procedure_pages.status_page(view, numbers)


@bp.route("/m/inquiries", methods=["POST"], content_types=[FORM])
@api
def post_mobile_inquiry():
    request = bp.current_request
    try:
        view = _inquire(request, keitai.read_form(request))
    except (problems.Problem, DomainError) as error:
        return procedure_pages.mobile_error(_problem(error))
    return procedure_pages.mobile_status_page(view)

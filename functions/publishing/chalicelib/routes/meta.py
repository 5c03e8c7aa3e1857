"""Form tickets: when the page's script shows the form, it asks for one (minimum fill time)."""

from chalice import Blueprint

from hiroba_core import tokens
from hiroba_web import context
from hiroba_web.http import api, json_response

bp = Blueprint(__name__)


@bp.route("/form-ticket", methods=["GET"])
@api
def form_ticket():
    return json_response({"ticket": tokens.form_ticket(context.settings().secret)})

"""Routes every app has: GET /health and GET /openapi.json (the app's own description)."""

import json
from pathlib import Path

from chalice import Blueprint

from .http import api, json_response


def blueprint(spec_path):
    bp = Blueprint(f"hiroba_web.meta.{Path(spec_path).parent.parent.name}")
    spec = json.loads(Path(spec_path).read_text("utf-8"))

    @bp.route("/health", methods=["GET"])
    @api
    def health():
        return json_response({"status": "ok"})

    @bp.route("/openapi.json", methods=["GET"])
    @api
    def openapi():
        return json_response(spec)

    return bp

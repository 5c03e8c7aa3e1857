"""The procedures API (application intake and payments, a later issue): health for now.

Served under /api/procedures/ on the site's own origin; its table is hiroba-procedures.
"""

from pathlib import Path

from chalice import Chalice
from hiroba_web import meta as common
from hiroba_web.http import problem_middleware

app = Chalice(app_name="hiroba-procedures")
app.register_middleware(problem_middleware, "http")
app.register_blueprint(common.blueprint(Path(__file__).parent / "chalicelib" / "openapi.json"))

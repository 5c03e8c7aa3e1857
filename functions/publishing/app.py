"""The publishing API: comments on consultations, proposals to the governor, staff tools.

Served under /api/publishing/ on the site's own origin. Routes live in chalicelib/routes/;
the domain is hiroba_core, shipped with hiroba_web in vendor/ by infra/aws/package.py.
"""

from pathlib import Path

from chalice import Chalice

from chalicelib.routes import comments, meta, newsletter, staff
from hiroba_web import context
from hiroba_web import meta as common
from hiroba_web.http import protect

app = Chalice(app_name="hiroba-publishing")
context.start("publishing")
protect(app, context.settings)
app.register_blueprint(common.blueprint(Path(__file__).parent / "chalicelib" / "openapi.json"))
app.register_blueprint(meta.bp)
app.register_blueprint(comments.bp)
app.register_blueprint(staff.bp)
app.register_blueprint(newsletter.bp)

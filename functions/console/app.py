"""The staff console (職員用画面): sign in with Cognito (password and TOTP), process
applications (status, 補正依頼, the two-person rule), and the audit trail.

Served under /staff/ on the site's own origin. Its tables: hiroba-console (sessions) and
hiroba-audit (append-only); it reads and changes applications in hiroba-procedures through
hiroba_core's services, which check every record's 団体 and department (docs/staff.md says
why the console is an app of its own). Routes live in chalicelib/routes/.
"""

from pathlib import Path

from chalice import Chalice

from chalicelib.routes import applications, comments, newsletter, payments, session
from hiroba_web import context
from hiroba_web import meta as common
from hiroba_web.http import binary_html, protect

app = Chalice(app_name="hiroba-console")
context.start("console")
protect(app, context.settings)
binary_html(app)
app.register_blueprint(common.blueprint(Path(__file__).parent / "chalicelib" / "openapi.json"))
app.register_blueprint(session.bp)
app.register_blueprint(applications.bp)
app.register_blueprint(comments.bp)
app.register_blueprint(payments.bp)
app.register_blueprint(newsletter.bp)

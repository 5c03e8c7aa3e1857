"""The procedures API: applications (電子申請: JSON, and the online form for browsers),
status inquiries (申請状況の照会, also for feature phones in Shift_JIS), payments of fees and
taxes (公金収納), the attachments of a draft (添付書類) and the staff's tools.

Served under /api/procedures/ on the site's own origin; its table is hiroba-procedures.
Routes live in chalicelib/routes/; the domain is hiroba_core, shipped with hiroba_web in
vendor/ by infra/aws/package.py (with the procedure catalogue, procedures.toml).
"""

from pathlib import Path

from chalice import Chalice, Rate

from chalicelib.routes import (
    applications,
    apply,
    attachments,
    corrections,
    inquiries,
    payments,
    signatures,
    staff,
)
from hiroba_core.services import payments as payment_service
from hiroba_web import context
from hiroba_web import meta as common
from hiroba_web.http import binary_html, protect

app = Chalice(app_name="hiroba-procedures")
context.start("procedures")
protect(app, context.settings)
binary_html(app)  # HTML answers as bytes: UTF-8 pages and Shift_JIS handset pages alike
app.api.binary_types.append("application/pdf")  # issued documents (POST /inquiries/document)
app.api.binary_types.append("multipart/form-data")  # the 署名検証 form posts files
app.register_blueprint(common.blueprint(Path(__file__).parent / "chalicelib" / "openapi.json"))
app.register_blueprint(applications.bp)
app.register_blueprint(apply.bp)
app.register_blueprint(inquiries.bp)
app.register_blueprint(payments.bp)
app.register_blueprint(staff.bp)
app.register_blueprint(corrections.bp)
app.register_blueprint(signatures.bp)
app.register_blueprint(attachments.bp)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def expire_payments(event):
    """Every five minutes (an EventBridge rule): expire card payments started more than 90
    minutes ago and Pay-easy numbers past their deadline, asking the provider first."""
    return {"expired": len(payment_service.expire_due(context.payments_store()))}

"""Signed documents: issued when an application of a procedure that `issues` one is
completed, downloaded by the applicant with the 到達番号 and 問合せ番号 for
settings.document_days after completion, every download logged without personal data.

Issuing happens before the status change is committed (services.applications.change_status
calls the Issuer): a document that cannot be signed or stored leaves the application as it
was, and the staff member's retry issues it again under the same key (same object, replaced).
"""

import logging
from datetime import UTC, datetime, timedelta

from ..domain.application import ApplicationStatus
from ..errors import DocumentExpired, DocumentUnavailable, NotFound
from ..signatures.templates import TEMPLATES
from . import applications

logger = logging.getLogger(__name__)


def completed_at(application):
    """When the application reached 完了 (its last such change), or None."""
    times = [c.at for c in application.history if c.status == ApplicationStatus.COMPLETED]
    return datetime.fromisoformat(times[-1]) if times else None


def available_until(application, procedure, days):
    """The last moment the document may be downloaded, or None when there is none."""
    if procedure is None or not procedure.issues:
        return None
    if application.status != ApplicationStatus.COMPLETED:
        return None
    done = completed_at(application)
    return done + timedelta(days=days) if done else None


class Issuer:
    """Called with an application about to become 完了: renders, signs and stores its
    document when its procedure issues one."""

    def __init__(self, store, documents_store, catalogue, dantai, make_signer, timestamper=None):
        self.store, self.documents_store = store, documents_store
        self.catalogue, self.dantai = catalogue, dantai
        self.make_signer, self.timestamper = make_signer, timestamper

    def __call__(self, application, now=None):
        procedure = self.catalogue.get(application.procedure_id)
        if procedure is None or not procedure.issues:
            return None
        from ..signatures import documents, signer  # the PDF and signing libraries, when used

        template = TEMPLATES[procedure.issues]
        issued_at = (now or datetime.now(UTC)).astimezone(documents.JST)
        full = self.store.get_application_with_applicant(
            application.reference, int(issued_at.timestamp())
        )
        owner = self.dantai.get(application.dantai)
        issuer = owner.name if owner else application.dantai
        try:
            pdf = documents.render(
                template,
                reference=applications.format_reference(application.reference),
                applicant=full.applicant if full else {},
                answers=(full.answers if full else None) or application.answers or {},
                issuer=f"{issuer}長" if owner and not owner.is_prefecture else f"{issuer}知事",
                issued_at=issued_at,
                procedure_title=procedure.title,
            )
            signed = signer.sign_pdf(
                pdf,
                self.make_signer(),
                timestamper=self.timestamper,
                reason=f"{template.title}の発行",
                location=issuer,
            )
        except (signer.SignerUnavailable, documents.FontMissing) as error:
            logger.error("document not issued: %s", error)
            raise DocumentUnavailable() from None
        self.documents_store.put(application, signed, issued_at)
        logger.info("document issued procedure=%s template=%s", procedure.id, procedure.issues)
        return signed


def download(store, documents_store, catalogue, raw, *, client, days, now=None):
    """(pdf bytes, file name) for the applicant: the same checks and limit as the status
    inquiry, then the document if it was issued and its period has not passed."""
    now = now or datetime.now(UTC)
    application, procedure = applications.inquire(store, catalogue, raw, client=client, now=now)
    until = available_until(application, procedure, days)
    if until is None:
        raise NotFound("document")
    if now > until:
        raise DocumentExpired(until)
    found = documents_store.get(application)
    if found is None:
        raise NotFound("document")
    # the procedure and the 団体 only: who downloaded what stays out of the logs
    logger.info("document downloaded procedure=%s dantai=%s", procedure.id, application.dantai)
    return found[0], f"{procedure.issues}-{application.reference}.pdf"

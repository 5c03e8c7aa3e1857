"""Per-process singletons (one Lambda container, one local server): settings, stores, mail."""

import os
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from hiroba_core import catalogue as procedure_catalogue
from hiroba_core.mail import Mailer
from hiroba_core.settings import Settings
from hiroba_core.store.attachments import AttachmentStore
from hiroba_core.store.documents import DocumentStore
from hiroba_core.store.newsletter import NewsletterStore
from hiroba_core.store.payments import PaymentsStore
from hiroba_core.store.procedures import ProceduresStore
from hiroba_core.store.publishing import PublishingStore


@lru_cache(maxsize=1)
def settings():
    return Settings.from_env()


def start(app_name):
    """Read the settings at cold start (the import of app.py), so a production function
    with a missing or development secret fails to start, with a ConfigurationError naming
    what to set, instead of answering requests. Not while `chalice package` imports the
    app to list its routes (infra/aws/package.py sets HIROBA_PACKAGING): the package is
    built without access to the secrets it will read when it runs."""
    if os.environ.get("HIROBA_PACKAGING"):
        return None
    return settings().require_for(app_name)


def now():
    """The time the online form's deadlines are measured with: the clock, moved by the
    seconds in HIROBA_CLOCK_FILE when a test (never production: settings refuse it) set it."""
    moment = datetime.now(UTC)
    path = settings().clock_file
    if path and Path(path).is_file():
        text = Path(path).read_text("utf-8").strip()
        moment += timedelta(seconds=float(text or 0))
    return moment


@lru_cache(maxsize=1)
def dantai():
    """The 団体 registry ({code: Dantai}) beside the catalogue, read once per process."""
    return procedure_catalogue.load_dantai(settings().procedures_catalogue)


@lru_cache(maxsize=1)
def publishing_store():
    return PublishingStore(settings())


@lru_cache(maxsize=1)
def mailer():
    return Mailer.from_settings(settings())


@lru_cache(maxsize=1)
def newsletter_store():
    return NewsletterStore(settings())


@lru_cache(maxsize=1)
def procedures_store():
    return ProceduresStore(settings())


@lru_cache(maxsize=1)
def payments_store():
    return PaymentsStore(settings())


def catalogue():
    """The procedure catalogue ({id: Procedure}), read once per process."""
    return procedure_catalogue.load(settings().procedures_catalogue)


@lru_cache(maxsize=1)
def documents_store():
    return DocumentStore(settings())


@lru_cache(maxsize=1)
def attachments_store():
    return AttachmentStore(settings())


@lru_cache(maxsize=1)
def trust():
    """The trust anchors, intermediates and CRLs the configuration names (none: nothing is
    trusted), read once per process."""
    from hiroba_core.signatures.trust import Trust

    return Trust.from_settings(settings())


@lru_cache(maxsize=1)
def _signer():
    from hiroba_core.signatures import signer

    return signer.from_settings(settings())


def document_issuer():
    """What issues a completed application's signed document (services.documents.Issuer)."""
    from hiroba_core.services.documents import Issuer
    from hiroba_core.signatures import signer

    return Issuer(
        procedures_store(),
        documents_store(),
        catalogue(),
        dantai(),
        _signer,
        signer.timestamper(settings()),
    )

"""Domain errors: what went wrong in the domain's words. `problems` turns them into HTTP."""


class DomainError(Exception):
    """Base class; every subclass maps to one problem type in `problems.CATALOGUE`."""


class NotFound(DomainError):
    def __init__(self, what="resource"):
        super().__init__(what)
        self.what = what


class ValidationFailed(DomainError):
    """One or more fields are wrong: errors is a list of FieldError."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} field error(s)")
        self.errors = list(errors)


class FieldError:
    __slots__ = ("field", "message", "message_en")

    def __init__(self, field, message, message_en):
        self.field, self.message, self.message_en = field, message, message_en

    def as_dict(self):
        return {"field": self.field, "message": self.message, "message_en": self.message_en}

    def __repr__(self):
        return f"FieldError({self.field!r}, {self.message_en!r})"


class NotOpen(DomainError):
    """The consultation does not take comments at this moment."""

    def __init__(self, consultation, state):
        super().__init__(state)
        self.consultation, self.state = consultation, state


class IdempotencyConflict(DomainError):
    """The Idempotency-Key was used before with a different body."""


class SuspectedBot(DomainError):
    """Honeypot filled in or the form was sent too fast."""


class RateLimited(DomainError):
    def __init__(self, retry_after):
        super().__init__(retry_after)
        self.retry_after = retry_after


class StoreUnavailable(DomainError):
    """The database could not be reached; nothing was written."""

    retry_after = 30


class Unauthorized(DomainError):
    """No token, or a token that is invalid or expired."""

    def __init__(self, reason="missing"):
        super().__init__(reason)
        self.reason = reason


class Forbidden(DomainError):
    """A valid token whose role or department does not allow this."""


class InvalidTransition(DomainError):
    """`allowed` (optional) names the states reachable from `old`; `labels` (optional) maps a
    state to its (Japanese, English) names, for a message people can act on."""

    def __init__(self, old, new, allowed=(), labels=None):
        super().__init__(f"{old} -> {new}")
        self.old, self.new = old, new
        self.allowed, self.labels = tuple(allowed), dict(labels or {})


class VersionConflict(DomainError):
    """Somebody else changed the record since it was read."""


class InvalidToken(DomainError):
    """A link token that was tampered with, is for another purpose, or has expired."""


class CopyLinkInvalid(InvalidToken):
    """A "send me a copy" link that was tampered with or is more than a day old."""


class DraftGone(DomainError):
    """An application being written is no longer there: its time ran out (`timeout`: 30
    minutes between pages, 90 on a form page), the code was wrong too often (`attempts`),
    or there is none for this browser (`missing`: no cookie, or TTL deleted it)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class ResumeLinkInvalid(InvalidToken):
    """A 一時保存 resume link that was altered or is more than 7 days old."""


class SignatureInvalid(DomainError):
    """A notification (SNS) whose signature or signing certificate could not be trusted."""


class MailUnavailable(DomainError):
    """The mail transport refused or could not be reached; nothing was stored."""

    retry_after = 60


class CopyUnavailable(MailUnavailable):
    """The copy of a comment could not be handed to the mail transport; the link still works."""


class InquiryNotMatched(DomainError):
    """No application with this reference number, or not this inquiry code: the same answer
    for both, so the answer never tells whether a reference number exists."""


class ApprovalRequired(DomainError):
    """完了 and 却下 are proposed by one member of staff and approved by another (決裁)."""


class SameApprover(DomainError):
    """The approver of a proposal is the member of staff who proposed it."""


class AlreadyPaid(DomainError):
    """The fee or the tax notice is already paid."""


class NotPayable(DomainError):
    """Nothing to pay: no fee, or an application that was withdrawn or rejected."""


class RefundTooLarge(DomainError):
    """More than what may still be refunded (only a successful payment's, less refunds)."""

    def __init__(self, refundable):
        super().__init__(refundable)
        self.refundable = refundable


class ProviderUnavailable(DomainError):
    """The payment provider could not be reached or answered nonsense; nothing decided."""

    retry_after = 30


class DocumentUnavailable(DomainError):
    """The document of a completed application could not be signed (no signer or font)."""

    retry_after = 60


class DocumentExpired(DomainError):
    """The download period of an issued document has passed."""

    def __init__(self, until):
        super().__init__(until.isoformat())
        self.until = until


class SignatureRejected(DomainError):
    """A signature the procedure requires did not verify: `verdict` says why."""

    def __init__(self, verdict):
        super().__init__(verdict.cause)
        self.verdict = verdict

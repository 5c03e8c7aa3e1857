"""Sending one issue of the newsletter: each (issue, subscriber) send exactly once.

For every recipient, in a fixed order:

1. `claim`: write SEND (issue, subscriber) = sending with `attribute_not_exists` — the
   natural key, so two senders (or a restarted one) can never both take the same send;
2. hand the message to the transport (SMTP or SES), paced to `rate` messages per second;
3. `finish`: sending -> sent (or failed when the address was refused: never retried).

A restart reads the issue's send records and re-drives only recipients without one.
The at-most-once window: a process killed between 1 and 3 leaves one send in "sending",
and nobody can know whether the transport took the message. Those are not resent by
default (never twice) but counted as "uncertain"; `resend_uncertain=True` sends them again
(never skipped, possibly twice). Sends run one at a time, so a crash leaves at most one
uncertain send. A transport that refused the connection surely took nothing: the claim is
released and the next run retries that person.
"""

import html as html_lib
import logging
import smtplib
import time
from dataclasses import dataclass, field

from ..domain.subscription import SendStatus
from . import newsletter

logger = logging.getLogger(__name__)
MANAGE_MARK, UNSUBSCRIBE_MARK = "%%HIROBA_MANAGE_URL%%", "%%HIROBA_UNSUBSCRIBE_URL%%"


@dataclass(frozen=True)
class Issue:
    """A built issue (plugins/newsletter writes it as issue.json): the parts carry the two
    marks above where each person's own links go."""

    id: str
    subject: str
    text: str
    html: str | None
    topics: tuple
    frequency: str | None = None  # None: everybody of the topics (emergency notices)
    lang: str = "ja"

    @classmethod
    def from_dict(cls, data):
        return cls(
            id=data["id"],
            subject=data["subject"],
            text=data["text"],
            html=data.get("html"),
            topics=tuple(data["topics"]),
            frequency=data.get("frequency"),
            lang=data.get("lang", "ja"),
        )


@dataclass
class Report:
    recipients: int = 0
    sent: int = 0
    already: int = 0  # sent (or refused) by an earlier run
    uncertain: int = 0  # left in "sending" by a crash: see the module's docstring
    failed: int = 0  # refused by the transport for good
    retry: int = 0  # the transport was unreachable: the next run sends these
    left: int = 0  # not tried: the run's time budget ended first (the next run sends these)
    elapsed: float = 0.0
    transport_seconds: float = 0.0
    paced_seconds: float = 0.0
    errors: dict = field(default_factory=dict)

    def as_dict(self):
        return dict(self.__dict__)


class Pacer:
    """At most `rate` starts per second, evenly spaced (SES's sending quota)."""

    def __init__(self, rate, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = None
        self.waited = 0.0

    def wait(self):
        now = self.clock()
        if self.next_at is not None and now < self.next_at:
            self.sleep(self.next_at - now)
            self.waited += self.next_at - now
            now = self.next_at
        self.next_at = now + self.interval


def _permanent(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    if isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600:
        return True
    code = (
        getattr(error, "response", {}).get("Error", {}).get("Code")
        if hasattr(error, "response")
        else None
    )
    return code in ("MessageRejected", "MailFromDomainNotVerifiedException")


def _not_taken(error):
    """The transport surely did not take the message: nothing was connected or accepted."""
    if isinstance(error, ConnectionRefusedError | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPResponseException) and 400 <= error.smtp_code < 500:
        return True  # the server answered "not now": it did not take the message
    code = (
        getattr(error, "response", {}).get("Error", {}).get("Code")
        if hasattr(error, "response")
        else None
    )
    return code in ("TooManyRequestsException", "LimitExceededException", "ThrottlingException")


def personalise(issue, settings, subscriber):
    """Subject, text, html and headers of one person's copy."""
    urls = newsletter.links(settings, subscriber.id)
    text = issue.text.replace(MANAGE_MARK, urls["manage"]).replace(
        UNSUBSCRIBE_MARK, urls["unsubscribe"]
    )
    body = None
    if issue.html:
        body = issue.html.replace(MANAGE_MARK, html_lib.escape(urls["manage"])).replace(
            UNSUBSCRIBE_MARK, html_lib.escape(urls["unsubscribe"])
        )
    return text, body, newsletter.list_headers(settings, urls["unsubscribe"])


def recipients(store, issue):
    """Confirmed subscribers of any of the issue's topics: one entry per person."""
    people = {
        s.id: s for s in store.confirmed_subscribers() if s.wants(issue.topics, issue.frequency)
    }
    return [people[k] for k in sorted(people)]


def send_issue(
    store,
    mailer,
    issue,
    *,
    rate,
    resend_uncertain=False,
    budget=None,
    clock=time.monotonic,
    sleep=time.sleep,
    wall=time.time,
):
    """Send `issue` to every matching subscriber exactly once; returns a Report. With a
    `budget` (seconds) the run stops claiming when it is spent (a console request must
    answer before its timeout): the rest are `left` for the next run, unclaimed."""
    started = clock()
    report = Report()
    recorded = store.sends(issue.id)
    pacer = Pacer(rate, clock, sleep)
    people = recipients(store, issue)
    report.recipients = len(people)
    for index, person in enumerate(people):
        if budget is not None and clock() - started >= budget:
            report.left = len(people) - index
            break
        state = recorded.get(person.id)
        if state in (SendStatus.SENT, SendStatus.FAILED):
            report.already += 1
            continue
        if state == SendStatus.SENDING and not resend_uncertain:
            report.uncertain += 1
            continue
        pacer.wait()
        if state is None and not store.claim(issue.id, person.id, wall()):
            report.already += 1  # another sender took it a moment ago
            continue
        text, body, headers = personalise(issue, store.settings, person)
        message = mailer.compose_list(person.email, issue.subject, text, body, headers)
        before = clock()
        try:
            mailer.deliver(message)
        except Exception as error:
            report.transport_seconds += clock() - before
            name = type(error).__name__
            report.errors[name] = report.errors.get(name, 0) + 1
            if _permanent(error):
                store.finish(issue.id, person.id, SendStatus.FAILED, wall())
                report.failed += 1
            elif _not_taken(error):
                store.release(issue.id, person.id)
                report.retry += 1
            else:
                report.uncertain += 1  # maybe taken: left in "sending", never resent blindly
            logger.warning("newsletter send failed: %s", name)
            continue
        report.transport_seconds += clock() - before
        store.finish(issue.id, person.id, SendStatus.SENT, wall())
        report.sent += 1
    report.paced_seconds = pacer.waited
    report.elapsed = clock() - started
    return report

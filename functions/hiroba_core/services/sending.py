"""Sending one issue of the newsletter: each (issue, subscriber) send exactly once.

The recipients are read in key order, a page at a time (a thread reads the following
pages while the first ones are sent), and sent in blocks of up to BLOCK_SIZE consecutive
keys:

1. `claim`: write BLOCK (issue, n) = sending with `attribute_not_exists`, listing its
   members (the recipients of its range without a send yet) and where its range ends
   (the next recipient's key; none for the last block: open-ended). Block n's range
   starts where block n-1's ends, so the blocks cut the key space into one chain that
   every sender follows: a sender that loses the race for block n reads the winner's
   range and goes on from its end. The natural key means two senders (or a restarted
   one) can never both take a block, and a person is a member of one block at most;
2. hand each member's copy to the transport from WORKERS threads (each with its own SMTP
   connection, reused for the whole run; or SES's client), the starts paced to `rate`
   messages per second together; each copy is made from the issue's message composed
   once (hiroba_core.mail.ListTemplate) with the person's address and links;
3. `finish`: the block -> done with each member's outcome (sent, or failed when the
   address was refused: never retried), one write per block.

A recipient without a send in the range of a block already claimed (confirmed after the
claim, or released: see below) is claimed on their own: SEND (issue, subscriber) =
sending with `attribute_not_exists`, then finished with a condition on that claim.

A restart reads the issue's records and re-drives only recipients without a send.
The at-most-once window: a process killed between 1 and 3 leaves a block in "sending",
and nobody can know which of its members the transport took. They are not resent by
default (never twice) but counted as "uncertain"; `resend_uncertain=True` sends them again
(never skipped, possibly twice). A crash leaves at most one block's members uncertain:
BLOCK_SIZE unpaced, a second's worth when paced (block_size) — the price of two writes
per block instead of one per send. A transport that refused the connection surely took
nothing: the member is released (left out of the block's outcomes) and the next run
retries that person.
"""

import html as html_lib
import logging
import queue
import smtplib
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from ..domain.subscription import SendStatus
from . import newsletter

logger = logging.getLogger(__name__)
MANAGE_MARK, UNSUBSCRIBE_MARK = "%%HIROBA_MANAGE_URL%%", "%%HIROBA_UNSUBSCRIBE_URL%%"
BLOCK_SIZE = 100  # recipients claimed together, unpaced: at most this many left uncertain
# copies handed over at once: a transport's round trips overlap (an SMTP server answers
# each command; SES each call), the pace stays `rate` (HIROBA_NEWSLETTER_RATE)
WORKERS = 4


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
        self.lock = threading.Lock()  # the workers' starts, one after another

    def wait(self):
        with self.lock:
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


def marks(settings, subscriber):
    """The person's own links, for the marks of the issue's parts: (text, HTML) values."""
    urls = newsletter.links(settings, subscriber.id)
    return {
        MANAGE_MARK: (urls["manage"], html_lib.escape(urls["manage"])),
        UNSUBSCRIBE_MARK: (urls["unsubscribe"], html_lib.escape(urls["unsubscribe"])),
    }


def recipients(store, issue):
    """Confirmed subscribers of any of the issue's topics: one entry per person, in key order."""
    pages = store.confirmed_subscriber_pages(for_sending=True)
    return [s for page in pages for s in _wanted(page, issue)]


def _wanted(page, issue):
    return [s for s in page if s.wants(issue.topics, issue.frequency)]


def block_size(rate):
    """Recipients per block: BLOCK_SIZE unpaced; paced, a second's sends (SES's quota), so
    the uncertain window stays about a second and a console run keeps its time budget."""
    return BLOCK_SIZE if not rate or rate <= 0 else max(1, min(BLOCK_SIZE, int(rate)))


def prefetched(pages):
    """The items of `pages`, the following pages fetched by a thread while these are used
    (the database works on its next answers while the sender sends). Unbounded, so the
    thread always ends: at most the whole list is held, as a list read at once would."""
    ahead, done = queue.SimpleQueue(), object()

    def fetch():
        try:
            for page in pages:
                ahead.put(page)
            ahead.put(done)
        except BaseException as error:  # handed to the reader, raised there
            ahead.put(error)

    threading.Thread(target=fetch, daemon=True).start()
    while (page := ahead.get()) is not done:
        if isinstance(page, BaseException):
            raise page
        yield from page


class Chain:
    """The issue's claimed blocks, in order: each one's range ends at its `hi`, the next
    one's starts there; the last one's hi None closes the chain (it covers every key
    above its start)."""

    def __init__(self, blocks):
        self.his = [blocks[n].hi for n in range(len(blocks))]  # numbered 0, 1, … in order

    @property
    def closed(self):
        return bool(self.his) and self.his[-1] is None

    def covers(self, sid):
        return self.closed or (bool(self.his) and sid < self.his[-1])

    def add(self, hi):
        self.his.append(hi)


def send_issue(
    store,
    mailer,
    issue,
    *,
    rate,
    resend_uncertain=False,
    budget=None,
    workers=WORKERS,
    clock=time.monotonic,
    sleep=time.sleep,
    wall=time.time,
):
    """Send `issue` to every matching subscriber exactly once; returns a Report. With a
    `budget` (seconds) the run stops when it is spent (a console request must answer
    before its timeout): the rest are `left` for the next run, unclaimed or released."""
    started = clock()
    report = Report()
    records = store.send_records(issue.id)
    chain, size = Chain(records.blocks), block_size(rate)
    run = Run(store, mailer, issue, report, Pacer(rate, clock, sleep), clock, wall)
    if budget is not None:
        run.deadline = started + budget
    pending, singles = [], []
    with mailer.session() as session, ThreadPoolExecutor(max(1, workers)) as pool:
        run.session, run.pool = session, pool
        for person in prefetched(store.confirmed_subscriber_pages(for_sending=True)):
            if not person.wants(issue.topics, issue.frequency):
                continue
            report.recipients += 1
            state = records.sends.get(person.id)
            if state in (SendStatus.SENT, SendStatus.FAILED):
                report.already += 1
            elif state == SendStatus.SENDING and not resend_uncertain:
                report.uncertain += 1
            elif state == SendStatus.SENDING:
                singles.append((person, state))
            elif chain.covers(person.id):
                singles.append((person, None))  # not a member of that block: on their own
            else:
                pending.append(person)
                while len(pending) > size:  # the next block's range ends at pending[size]
                    pending = run.next_block(chain, pending, size, singles)
        while pending:
            pending = run.next_block(chain, pending, size, singles)
        run.singles(singles)
    report.paced_seconds = run.pacer.waited
    report.elapsed = clock() - started
    return report


class Run:
    """One run's sends: a block's members from the workers, or single sends, through the
    transport's sessions."""

    def __init__(self, store, mailer, issue, report, pacer, clock, wall):
        self.store, self.mailer, self.issue, self.report = store, mailer, issue, report
        self.pacer, self.clock, self.wall = pacer, clock, wall
        self.deadline, self.session, self.pool = None, None, None
        self.lock = threading.Lock()  # the report, from the workers
        headers = newsletter.list_headers(store.settings, UNSUBSCRIBE_MARK)
        self.template = mailer.list_template(issue.subject, issue.text, issue.html, headers)

    def out_of_time(self):
        return self.deadline is not None and self.clock() >= self.deadline

    def next_block(self, chain, pending, size, singles):
        """Claim the chain's next block for the first `size` of `pending` (recipients in
        key order, none in the chain yet) and send it; returns the ones after its range."""
        if self.out_of_time():
            self.report.left += len(pending)  # unclaimed: the next run's
            return []
        number, members = len(chain.his), pending[:size]
        hi = pending[size].id if len(pending) > size else None
        if self.store.claim_block(self.issue.id, number, hi, [p.id for p in members], self.wall()):
            chain.add(hi)
            self.block(number, members)
            return pending[size:]
        # another sender claimed block `number` a moment ago: its range holds; who is in
        # it but not its member (came after its claim) is sent on their own
        taken = self.store.block(self.issue.id, number)
        chain.add(taken.hi)
        rest = []
        for person in pending:
            if not chain.covers(person.id):  # all of `pending` is past the block's start
                rest.append(person)
            elif person.id in taken.members:
                self.report.already += 1
            else:
                singles.append((person, None))
        return rest

    def block(self, number, members):
        """Send a claimed block's members from the workers; its outcomes are written in
        one request once none is in flight, even on error (a member being handed over
        then stays "sending": maybe taken; one not started is released)."""
        outcomes, stop = {}, threading.Event()

        def send(person):
            if stop.is_set():
                return
            if self.out_of_time():
                self.count("left")  # released: the next run's
                return
            self.pacer.wait()
            outcomes[person.id] = SendStatus.SENDING  # until the transport answers
            outcome = self.deliver(person)
            if outcome is None:
                del outcomes[person.id]  # surely not taken: released
            else:
                outcomes[person.id] = outcome

        futures = [self.pool.submit(send, person) for person in members]
        try:
            for future in futures:
                future.result()
        finally:
            stop.set()
            wait(futures)
            self.store.finish_block(self.issue.id, number, outcomes, self.wall())

    def count(self, name, seconds=0.0):
        with self.lock:
            setattr(self.report, name, getattr(self.report, name) + 1)
            self.report.transport_seconds += seconds

    def singles(self, due):
        """Sends claimed one at a time, each finished by one conditional write (few: who
        came after their block's claim, or was released). An uncertain one sent again gets
        a send of its own, which wins over its block's record."""
        issue_id = self.issue.id
        for index, (person, state) in enumerate(due):
            if self.out_of_time():
                self.report.left += len(due) - index
                break
            self.pacer.wait()
            if not self.store.claim(issue_id, person.id, self.wall()) and state is None:
                self.report.already += 1  # another sender took it a moment ago
                continue
            outcome = self.deliver(person)
            if outcome is None:
                self.store.release(issue_id, person.id)
            elif outcome != SendStatus.SENDING:
                self.store.finish(issue_id, person.id, outcome, self.wall())

    def deliver(self, person):
        """Hand `person`'s copy to the transport: sent, failed (refused for good), sending
        (maybe taken: never resent blindly) or None (surely not taken)."""
        data = self.template.copy(person.email, marks(self.store.settings, person))
        before = self.clock()
        try:
            self.session.deliver(self.mailer.sender, person.email, data)
        except Exception as error:
            name = type(error).__name__
            with self.lock:
                self.report.errors[name] = self.report.errors.get(name, 0) + 1
            logger.warning("newsletter send failed: %s", name)
            if _permanent(error):
                outcome, counter = SendStatus.FAILED, "failed"
            elif _not_taken(error):
                outcome, counter = None, "retry"
            else:
                outcome, counter = SendStatus.SENDING, "uncertain"
        else:
            outcome, counter = SendStatus.SENT, "sent"
        self.count(counter, self.clock() - before)
        return outcome

"""Outgoing mail: one Mailer, two transports (SMTP for development, Amazon SES v2 in AWS)."""

import base64
import contextlib
import logging
import smtplib
import threading
import uuid
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)
# Long structured headers (List-Unsubscribe's URL) must not be folded into encoded words.
LIST_POLICY = policy.SMTP.clone(max_line_length=998)
# Mail is sent after the submission is committed, inside the 10 s the function has: a slow
# mail service must fail the mail quickly, never turn an accepted comment into a 504 that
# the resident then sends again. Seconds to connect, and to wait for each answer.
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 3


class SmtpTransport:
    def __init__(self, host, port, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT):
        self.host, self.port = host, port
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout

    def send(self, message):
        smtp = smtplib.SMTP(timeout=self.connect_timeout)
        try:
            smtp.connect(self.host, self.port)  # connects, then reads the greeting
            smtp.sock.settimeout(self.read_timeout)
            smtp.send_message(message)
            smtp.quit()
        finally:
            smtp.close()

    def session(self):
        return SmtpSession(self)


class SmtpSession:
    """One SMTP connection for many messages (a newsletter run): connected at the first
    message, reconnected after the server dropped it, closed at the end."""

    def __init__(self, transport):
        self.transport, self.smtp = transport, None

    def deliver(self, sender, to, data):
        if self.smtp is None:
            smtp = smtplib.SMTP(timeout=self.transport.connect_timeout)
            smtp.connect(self.transport.host, self.transport.port)
            smtp.sock.settimeout(self.transport.read_timeout)
            self.smtp = smtp
        try:
            self.smtp.sendmail(sender, [to], data)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()  # the caller decides whether the message was taken
            raise

    def close(self):
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp.close()
            self.smtp = None


class SesTransport:
    """Amazon SES v2 `SendEmail` with the raw MIME message; one attempt, short timeouts
    (a retry would double the wait; a failed copy is only logged)."""

    def __init__(self, client=None, region=None, endpoint=None):
        self._client, self._region, self._endpoint = client, region, endpoint
        self._lock = threading.Lock()  # a client is shared by threads; made by one

    def _make_client(self):
        import boto3
        from botocore.config import Config

        config = Config(
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            retries={"total_max_attempts": 1},
        )
        options = {"region_name": self._region, "config": config}
        if self._endpoint:
            options["endpoint_url"] = self._endpoint
        return boto3.client("sesv2", **options)

    def send(self, message):
        self.send_raw(message["From"], message["To"], message.as_bytes())

    def send_raw(self, sender, to, data):
        if self._client is None:
            with self._lock:  # boto3's default session is not thread-safe
                if self._client is None:
                    self._client = self._make_client()
        self._client.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [to]},
            Content={"Raw": {"Data": data}},
        )

    def deliver(self, sender, to, data):
        self.send_raw(sender, to, data)

    def close(self):
        pass  # the client is kept for the process

    def session(self):
        return self  # one client for every message; SES's quota sets the pace


class SessionPool:
    """A transport session per thread (for SMTP a connection each, reused for every
    message the thread sends; SES's client is shared), all closed together."""

    def __init__(self, transport):
        self.transport, self.local = transport, threading.local()
        self.sessions, self.lock = [], threading.Lock()

    def deliver(self, sender, to, data):
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = self.transport.session()
            with self.lock:
                self.sessions.append(session)
        session.deliver(sender, to, data)

    def close(self):
        with self.lock:
            for session in self.sessions:
                session.close()
            self.sessions = []


class Mailer:
    def __init__(self, transport, sender):
        self.transport, self.sender = transport, sender

    @classmethod
    def from_settings(cls, settings):
        """None when mail is switched off (HIROBA_MAIL empty)."""
        spec = settings.mail_transport
        if not spec:
            return None
        if spec == "ses":
            transport = SesTransport(region=settings.region, endpoint=settings.ses_endpoint)
            return cls(transport, settings.mail_from)
        parts = urlsplit(spec)
        if parts.scheme != "smtp":
            raise ValueError(f"HIROBA_MAIL must be smtp://host:port or ses, not {spec!r}")
        return cls(SmtpTransport(parts.hostname, parts.port or 25), settings.mail_from)

    def compose(self, to, subject, text):
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[-1])
        message.set_content(text, charset="utf-8")
        return message

    def send(self, to, subject, text):
        """True when handed to the transport. Failures are logged without the address."""
        try:
            self.transport.send(self.compose(to, subject, text))
            return True
        except Exception as error:  # a failed copy must never fail the submission
            logger.warning("mail not sent: %s", type(error).__name__)
            return False

    def compose_list(self, to, subject, text, html=None, headers=None):
        """A list message (newsletter): text, an optional HTML alternative, extra headers
        (List-Unsubscribe …) kept on one line each."""
        message = EmailMessage(policy=LIST_POLICY)
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[-1])
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(text, charset="utf-8")
        if html:
            message.add_alternative(html, subtype="html", charset="utf-8")
        return message

    def deliver(self, message):
        """Hand a message to the transport; errors propagate (the caller decides)."""
        self.transport.send(message)

    @contextlib.contextmanager
    def session(self):
        """Connections kept for many messages, one per thread that sends (SessionPool):
        `session.deliver(sender, to, bytes)`."""
        pool = SessionPool(self.transport)
        try:
            yield pool
        finally:
            pool.close()

    def list_template(self, subject, text, html=None, headers=None):
        """An issue's list message composed once (ListTemplate): each copy is made from it
        by putting in the person's address and links, without the `email` package."""
        return ListTemplate(self, subject, text, html, headers)


class ListTemplate:
    """A list message with marks where each copy differs: composed once with the `email`
    package (headers encoded, the parts' MIME headers written) with each part's body left
    as a plain mark; a copy puts in the person's address, a Message-ID and their links,
    and each part's personal text as base64. Thousands of copies a second, where
    composing each copy with the `email` package takes milliseconds."""

    TO = "hiroba-to@invalid"
    MESSAGE_ID = "hiroba-message-id"
    CTE_MARKED, CTE = b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: base64"

    def __init__(self, mailer, subject, text, html=None, headers=None):
        self.domain = mailer.sender.rsplit("@", 1)[-1]
        self.parts = [text] + ([html] if html else [])
        skeleton = EmailMessage(policy=LIST_POLICY)
        skeleton["From"] = mailer.sender
        skeleton["To"] = self.TO
        skeleton["Subject"] = subject
        skeleton["Date"] = formatdate(localtime=False)
        skeleton["Message-ID"] = f"<{self.MESSAGE_ID}@{self.domain}>"
        for name, value in (headers or {}).items():
            skeleton[name] = value
        skeleton.set_content(self._mark(0), charset="utf-8", cte="7bit")
        if html:
            skeleton.add_alternative(self._mark(1), subtype="html", charset="utf-8", cte="7bit")
        data = skeleton.as_bytes()
        # [before part 0, between 0 and 1, …, after the last]: each part's transfer
        # encoding (the last one written before its body) becomes base64
        self.segments = []
        for index in range(len(self.parts)):
            mark = self._mark(index).encode() + b"\r\n"
            before, found, data = data.partition(mark)
            cte = before.rfind(self.CTE_MARKED)
            if not found or cte < 0 or data.count(mark):
                raise ValueError("the list message's parts could not be marked")  # a bug
            self.segments.append(before[:cte] + self.CTE + before[cte + len(self.CTE_MARKED) :])
        self.segments.append(data)

    @staticmethod
    def _mark(index):
        return f"HIROBAPART{index}HIROBAPART"

    def copy(self, to, marks):
        """The bytes of `to`'s copy. `marks` maps each mark to its values, one per part
        (text, then HTML: e.g. the link, then the link HTML-escaped); the header block gets
        the first value."""
        head = self.segments[0]
        for name, value in ((self.TO, to), (self.MESSAGE_ID, uuid.uuid4().hex)):
            head = head.replace(name.encode(), value.encode(), 1)
        for mark, values in marks.items():
            head = head.replace(mark.encode(), values[0].encode())
        pieces = [head]
        for index, part in enumerate(self.parts):
            for mark, values in marks.items():
                part = part.replace(mark, values[index])
            # text in MIME's canonical form (CRLF line ends) before base64, as RFC 2045 asks
            canonical = part.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n")
            canonical = (canonical + "\r\n").encode()  # ends with a line end, as set_content's
            pieces.append(base64.encodebytes(canonical).replace(b"\n", b"\r\n"))
            pieces.append(self.segments[index + 1])
        return b"".join(pieces)

"""Outgoing mail: one Mailer, two transports (SMTP for development, Amazon SES v2 in AWS)."""

import logging
import smtplib
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


class SesTransport:
    """Amazon SES v2 `SendEmail` with the raw MIME message; one attempt, short timeouts
    (a retry would double the wait; a failed copy is only logged)."""

    def __init__(self, client=None, region=None, endpoint=None):
        self._client, self._region, self._endpoint = client, region, endpoint

    def send(self, message):
        if self._client is None:
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
            self._client = boto3.client("sesv2", **options)
        self._client.send_email(
            FromEmailAddress=message["From"],
            Destination={"ToAddresses": [message["To"]]},
            Content={"Raw": {"Data": message.as_bytes()}},
        )


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

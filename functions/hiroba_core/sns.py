"""Amazon SNS messages (SES bounce and complaint events arrive this way): signature checks.

A message is trusted only when its signing certificate comes from an
`https://sns.<region>.amazonaws.com/….pem` URL whose region is the topic's (or, on a local
stack, from the loopback prefix HIROBA_SNS_LOCAL_CERT_PREFIX; never in production), the
RSA signature over the canonical string verifies with it (SignatureVersion 1: SHA-1, 2:
SHA-256), it names the configured topic (required in production), and it was signed less
than MAX_AGE ago (a captured genuine message cannot be replayed later). Certificates are
cached.
"""

import base64
import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from .errors import SignatureInvalid

# sns.<region>.amazonaws.com: a region is `ap-northeast-1`, `us-gov-west-1`, `cn-north-1`;
# `sns.s3.amazonaws.com` or `sns.evil.amazonaws.com` are other services' or nobody's hosts.
CERT_URL = re.compile(
    r"^https://sns\.(?P<region>[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})"
    r"\.amazonaws\.com(\.cn)?/[A-Za-z0-9._/-]+\.pem$"
)
MAX_AGE = timedelta(hours=1)
MAX_SKEW = timedelta(minutes=5)  # clocks differ a little; a message from the future does not
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# the fields signed, in order, per message type
SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SIGNED["UnsubscribeConfirmation"] = SIGNED["SubscriptionConfirmation"]


def cert_url_allowed(url, local_prefix=None, topic_arn=None):
    """An SNS certificate URL of the topic's region (any region when no topic is pinned),
    or the local stack's loopback prefix."""
    match = CERT_URL.fullmatch(url or "")  # `$` alone would let a trailing newline pass
    if match:
        region = _arn_region(topic_arn)
        return region is None or match["region"] == region
    if local_prefix and url and url.startswith(local_prefix):
        return urlsplit(local_prefix).hostname in _LOOPBACK
    return False


def _arn_region(arn):
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None


def signed_at(message):
    try:
        moment = datetime.fromisoformat(str(message.get("Timestamp")).replace("Z", "+00:00"))
    except ValueError:
        raise SignatureInvalid("timestamp") from None
    if moment.tzinfo is None:
        raise SignatureInvalid("timestamp")
    return moment


def string_to_sign(message):
    fields = SIGNED.get(message.get("Type"))
    if not fields:
        raise SignatureInvalid("unknown message type")
    parts = []
    for name in fields:
        if name == "Subject" and message.get(name) is None:
            continue
        value = message.get(name)
        if not isinstance(value, str):
            raise SignatureInvalid(f"missing {name}")
        parts += [name, value]
    return ("\n".join(parts) + "\n").encode()


@lru_cache(maxsize=8)
def _certificate(url):
    from cryptography import x509

    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (URL checked)
        return x509.load_pem_x509_certificate(response.read())


def verify(message, local_prefix=None, topic_arn=None, *, production=False, now=None):
    """The message (a dict) if its signature is good, its topic ours and its time recent;
    SignatureInvalid otherwise. In production the topic is required and only AWS's
    certificate URLs count."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    if not isinstance(message, dict):
        raise SignatureInvalid("not an object")
    # every signed field is text in a real notification; anything else cannot be genuine
    if any(not isinstance(value, str) for value in message.values()):
        raise SignatureInvalid("field types")
    if production:
        if not topic_arn:
            raise SignatureInvalid("no topic configured")
        local_prefix = None
    url = message.get("SigningCertURL") or message.get("SigningCertUrl")
    if not cert_url_allowed(url, local_prefix, topic_arn):
        raise SignatureInvalid("certificate URL")
    if topic_arn and message.get("TopicArn") != topic_arn:
        raise SignatureInvalid("topic")
    age = (now or datetime.now(UTC)) - signed_at(message)
    if age > MAX_AGE or age < -MAX_SKEW:
        raise SignatureInvalid("too old")
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(str(message.get("SignatureVersion")))
    if algorithm is None:
        raise SignatureInvalid("signature version")
    try:
        signature = base64.b64decode(message.get("Signature") or "", validate=True)
        key = _certificate(url).public_key()
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm)
    except (InvalidSignature, ValueError, OSError):
        raise SignatureInvalid("signature") from None
    return message


def ses_event(message):
    """(kind, [addresses]) of an SES notification inside an SNS Notification: kind is
    "bounce" (permanent only), "complaint", or None for anything that suppresses nobody."""
    try:
        event = json.loads(message.get("Message") or "")
    except ValueError:
        return None, []
    if not isinstance(event, dict):
        return None, []
    kind = event.get("notificationType") or event.get("eventType")
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return None, []  # transient: SES retries; the address stays
        return "bounce", [r.get("emailAddress", "") for r in bounce.get("bouncedRecipients", [])]
    if kind == "Complaint":
        complaint = event.get("complaint") or {}
        return "complaint", [
            r.get("emailAddress", "") for r in complaint.get("complainedRecipients", [])
        ]
    return None, []

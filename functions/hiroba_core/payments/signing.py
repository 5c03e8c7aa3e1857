"""HMAC signatures of provider notifications and of our requests to the sandboxes.

    Hiroba-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>

The scheme Stripe documents for its webhooks: the timestamp inside the signed text makes a
captured notification useless after `TOLERANCE` seconds, and `v1=` may repeat while a key
is rotated. Compared in constant time.
"""

import hashlib
import hmac
import time

HEADER = "Hiroba-Signature"
TOLERANCE = 300


def signature(key, timestamp, body):
    return hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(key, body, now=None):
    timestamp = int(now if now is not None else time.time())
    return f"t={timestamp},v1={signature(key, timestamp, body)}"


def verify(keys, header, body, now=None, tolerance=TOLERANCE):
    """True when `header` carries a v1 signature of `body` by one of `keys`, made within
    `tolerance` seconds of `now`."""
    if not header or not isinstance(body, bytes | bytearray):
        return False
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    given = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not given:
        return False
    timestamp = int(stamps[0])
    if abs(int(now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    matched = False
    for key in keys:
        if not key:
            continue
        expected = signature(key, timestamp, bytes(body))
        for value in given:
            matched |= hmac.compare_digest(expected, value)
    return matched

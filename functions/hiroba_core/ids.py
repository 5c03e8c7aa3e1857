"""Identifiers: receipt numbers people read aloud, and sortable record ids."""

import re
import secrets
import time

# No look-alikes: 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B are left out, so a number read over the
# phone or copied by hand cannot be mistaken.
ALPHABET = "34679ACEFGHJKMNPRTUVWXY"
RECEIPT_LENGTH = 8
_RECEIPT_RE = re.compile(f"^[{ALPHABET}]{{{RECEIPT_LENGTH}}}$")


def new_receipt_number():
    """8 random characters; uniqueness is enforced by a conditional write in the store."""
    return "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LENGTH))


def format_receipt(number):
    """How people see it: two groups of four (ACEF-GHJK)."""
    return f"{number[:4]}-{number[4:]}"


def parse_receipt(text):
    """A receipt number as typed (any case, with spaces or hyphens), or None."""
    cleaned = re.sub(r"[\s\-]", "", str(text)).upper()
    return cleaned if _RECEIPT_RE.match(cleaned) else None


def new_id():
    """A record id that sorts by creation time: 12 hex digits of ms, 10 random."""
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(5)}"

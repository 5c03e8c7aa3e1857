"""Identifiers: receipt and reference numbers people read aloud, and sortable record ids."""

import re
import secrets
import time
import unicodedata

# No look-alikes: 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B are left out, so a number read over the
# phone or copied by hand cannot be mistaken.
ALPHABET = "34679ACEFGHJKMNPRTUVWXY"
RECEIPT_LENGTH = 8  # 受付番号 of a comment: ACEF-GHJK
REFERENCE_LENGTH = 12  # 到達番号 of an application: ACEF-GHJK-MNPR (23^12 ≈ 2×10^16)
INQUIRY_CODE_LENGTH = 10  # 問合せ番号 of an application: ACEFG-HJKMN (a secret, ≈ 45 bits)
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d]")


def new_code(length):
    """`length` random characters of ALPHABET; uniqueness is the store's business."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def group(code, size=4):
    """How people see a code: groups of `size` joined by hyphens."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def parse_code(text, length):
    """A code as typed (any case, full-width, with spaces or hyphens), or None."""
    if not isinstance(text, str):
        return None
    cleaned = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if len(cleaned) == length and all(c in ALPHABET for c in cleaned):
        return cleaned
    return None


def new_receipt_number():
    """8 random characters; uniqueness is enforced by a conditional write in the store."""
    return new_code(RECEIPT_LENGTH)


def format_receipt(number):
    """How people see it: two groups of four (ACEF-GHJK)."""
    return group(number)


def parse_receipt(text):
    """A receipt number as typed (any case, with spaces or hyphens), or None."""
    return parse_code(str(text), RECEIPT_LENGTH)


def new_reference():
    """An application's 到達番号: 12 random characters, unique by a conditional write."""
    return new_code(REFERENCE_LENGTH)


def format_reference(reference):
    return group(reference)


def parse_reference(text):
    return parse_code(text, REFERENCE_LENGTH)


def new_inquiry_code():
    return new_code(INQUIRY_CODE_LENGTH)


def format_inquiry_code(code):
    return group(code, 5)


def parse_inquiry_code(text):
    return parse_code(text, INQUIRY_CODE_LENGTH)


def new_id():
    """A record id that sorts by creation time: 12 hex digits of ms, 10 random."""
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(5)}"

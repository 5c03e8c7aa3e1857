"""A newsletter subscriber (メルマガ・みやぎ) and the sends of one issue to one person.

Subscriber states (nothing is stored before the address is confirmed):

    (none) ──confirm──▶ confirmed ──unsubscribe──▶ unsubscribed ──confirm──▶ confirmed
    confirmed ──update──▶ confirmed (preferences)
    (none) | confirmed | unsubscribed ──bounce / complaint──▶ suppressed   (final)

A send of one issue to one subscriber has the natural key (issue, subscriber):

    (none) ──claim──▶ sending ──delivered──▶ sent
                      sending ──refused──▶ failed        (permanent: never retried)
                      sending ──release──▶ (none)        (transient: a later run retries)

The sender claims sends a block at a time (services/sending.py): one record per block of
recipients, whose members' sends it holds, claimed as one conditional write:

    (none) ──claim──▶ sending ──finish──▶ done

Every allowed (from, to) pair is in the TRANSITIONS sets; the store writes each change with
a condition on the old state, so two senders can never both deliver one send.
"""

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from ..errors import FieldError, ValidationFailed
from ..languages import CODES as LANGUAGES
from ..validation import is_email, normalize

# topic id -> (Japanese, English). The site's plugin maps each to categories and tags
# (NEWSLETTER_TOPICS in plugins/newsletter); a test keeps the two lists equal.
TOPICS = {
    "bousai": ("防災", "Disaster prevention"),
    "kanko": ("観光", "Tourism"),
    "event": ("イベント", "Events"),
    "kensei": ("県政", "Prefectural government"),
}
EMERGENCY_TOPIC = "bousai"
FREQUENCIES = {"immediate": ("配信のたびに", "As published"), "weekly": ("週1回", "Weekly")}


class SubscriberStatus(StrEnum):
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    SUPPRESSED = "suppressed"  # bounced or complained: never mailed again, by any list


class SendStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class BlockStatus(StrEnum):
    SENDING = "sending"  # claimed: its members' sends are under way (or a crash left them)
    DONE = "done"  # its members' outcomes are recorded


S, D = SubscriberStatus, SendStatus
NEW = None
TRANSITIONS = frozenset(
    {
        (NEW, S.CONFIRMED),
        (S.CONFIRMED, S.CONFIRMED),
        (S.CONFIRMED, S.UNSUBSCRIBED),
        (S.UNSUBSCRIBED, S.CONFIRMED),
        (NEW, S.SUPPRESSED),
        (S.CONFIRMED, S.SUPPRESSED),
        (S.UNSUBSCRIBED, S.SUPPRESSED),
        (S.SUPPRESSED, S.SUPPRESSED),
    }
)
SEND_TRANSITIONS = frozenset(
    {(NEW, D.SENDING), (D.SENDING, D.SENT), (D.SENDING, D.FAILED), (D.SENDING, NEW)}
)
BLOCK_TRANSITIONS = frozenset({(NEW, BlockStatus.SENDING), (BlockStatus.SENDING, BlockStatus.DONE)})


@dataclass(frozen=True)
class Preferences:
    topics: tuple
    frequency: str
    lang: str

    def as_dict(self):
        return {"topics": list(self.topics), "frequency": self.frequency, "lang": self.lang}


@dataclass
class Subscriber:
    id: str  # keyed hash of the address (tokens.subscriber_id): no address in any key
    email: str | None
    preferences: Preferences
    status: SubscriberStatus = S.CONFIRMED
    version: int = 1

    def wants(self, topics, frequency=None):
        """True when confirmed, and the issue's topics and frequency match."""
        if self.status != S.CONFIRMED or not self.email:
            return False
        if frequency and self.preferences.frequency != frequency:
            return False
        return bool(set(self.preferences.topics) & set(topics))


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [p for p in (s.strip() for s in str(value).split(",")) if p]


def normalize_email(text):
    """NFKC, trimmed, domain in lower case (the local part is the mailbox owner's)."""
    text = normalize(text)
    local, at, domain = text.rpartition("@")
    return f"{local}@{unicodedata.normalize('NFKC', domain).lower()}" if at else text


def parse_preferences(raw):
    """Preferences from a JSON body or form fields (topic may repeat); ValidationFailed lists all."""
    problems = []
    topics = tuple(t for t in TOPICS if t in _as_list(raw.get("topics", raw.get("topic"))))
    unknown = [t for t in _as_list(raw.get("topics", raw.get("topic"))) if t not in TOPICS]
    if unknown or not topics:
        problems.append(
            FieldError("topics", "受け取る分野を1つ以上選んでください", "Choose at least one topic")
        )
    frequency = normalize(raw.get("frequency") or "weekly")
    if frequency not in FREQUENCIES:
        problems.append(
            FieldError(
                "frequency", "配信の頻度を一覧から選んでください", "Choose how often to receive it"
            )
        )
    lang = normalize(raw.get("lang") or "ja")
    if lang not in LANGUAGES:
        problems.append(FieldError("lang", "言語を一覧から選んでください", "Choose a language"))
    if problems:
        raise ValidationFailed(problems)
    return Preferences(topics, frequency, lang)


def parse_subscription(raw):
    """(email, Preferences) from a subscribe form; ValidationFailed lists every problem."""
    problems = []
    email = normalize_email(raw.get("email") if isinstance(raw.get("email"), str) else "")
    if not email:
        problems.append(
            FieldError("email", "メールアドレスを入力してください", "Enter your email address")
        )
    elif not is_email(email):
        problems.append(
            FieldError(
                "email",
                "メールアドレスを name@example.jp のような形で入力してください",
                "Enter an email address in the correct format, like name@example.jp",
            )
        )
    try:
        preferences = parse_preferences(raw)
    except ValidationFailed as failed:
        problems += failed.errors
        preferences = None
    if problems:
        raise ValidationFailed(problems)
    return email, preferences

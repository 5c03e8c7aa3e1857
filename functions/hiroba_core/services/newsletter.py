"""Newsletter subscriptions (メルマガ・みやぎ): double opt-in, preferences, unsubscribe,
bounce and complaint suppression. Nothing is stored before the address is confirmed: the
confirmation link itself carries the request, encrypted and valid for 7 days.

Addresses are never logged; they are stored only for confirmed subscribers.
"""

import logging
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from .. import sns, tokens
from ..domain.subscription import (
    TOPICS,
    Preferences,
    normalize_email,
    parse_preferences,
    parse_subscription,
)
from ..errors import InvalidToken, MailUnavailable, RateLimited

logger = logging.getLogger(__name__)
API = "/api/publishing/newsletter"
CONFIRM, MANAGE, UNSUBSCRIBE = "confirm", "manage", "unsubscribe"


def _now(now):
    return now or datetime.now(UTC)


# ---------------------------------------------------------------- links


def links(settings, sid):
    """Links every mail carries: preferences, and unsubscribe (page and RFC 8058 one-click)."""
    manage = tokens.seal(settings.secret, MANAGE, {"s": sid})
    leave = tokens.seal(settings.secret, UNSUBSCRIBE, {"s": sid})
    base = settings.site_url + API
    return {
        "manage": f"{base}/preferences?token={quote(manage)}",
        "unsubscribe": f"{base}/unsubscribe?token={quote(leave)}",
    }


def list_headers(settings, unsubscribe_url):
    """RFC 2369 / RFC 8058: a one-click POST to the same URL the mail links to."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"メルマガ・みやぎ <newsletter.{urlsplit(settings.site_url).hostname}>",
    }


def confirmation_text(url):
    return "\n".join(
        [
            "メルマガ・みやぎへの登録の申し込みを受け付けました。",
            "",
            "登録を完了するには、7日以内に次のリンクを開いてください。",
            url,
            "",
            "お申し込みに心当たりがない場合は、このメールを破棄してください。",
            "登録はされず、これ以上メールは届きません。",
            "",
            "――――",
            "宮城県 総務部 広報課",
            "（このメールは送信専用です）",
            "",
        ]
    )


# ---------------------------------------------------------------- use cases


def subscribe(store, raw, *, mailer, client="unknown", now=None):
    """Send the confirmation mail. Only the request counters are written (per client and
    per address, keyed hashes: the form cannot be used to flood one inbox, nor from one
    place many); a suppressed address gets no mail (the answer is the same, so the form
    tells nobody which addresses are known)."""
    email, preferences = parse_subscription(raw)
    settings = store.settings
    retry_after = store.count_subscription(
        tokens.client_hash(settings.secret, client),
        tokens.address_hash(settings.secret, email),
        int(_now(now).timestamp()),
    )
    if retry_after is not None:
        raise RateLimited(retry_after)
    _, current = _subscriber(store, email)
    if current and current.status == "suppressed":
        logger.info("newsletter subscribe: suppressed address, no mail")
        return
    token = tokens.seal(
        settings.secret,
        CONFIRM,
        {"e": email, **preferences.as_dict()},
        now=_now(now).timestamp(),
    )
    url = f"{settings.site_url}{API}/confirm?token={quote(token)}"
    if mailer is None:
        raise MailUnavailable()
    try:
        mailer.deliver(
            mailer.compose_list(
                email, "【宮城県】メルマガ・みやぎ 登録の確認", confirmation_text(url)
            )
        )
    except Exception as error:
        logger.warning("newsletter confirmation not sent: %s", type(error).__name__)
        raise MailUnavailable() from None


def read_confirmation(settings, token, now=None):
    """(email, Preferences) of a confirmation link, or InvalidToken (forged, 7 days old)."""
    data = tokens.unseal(
        settings.keys, CONFIRM, token, tokens.CONFIRM_SECONDS, _now(now).timestamp()
    )
    try:
        return data["e"], parse_preferences(data)
    except Exception:
        raise InvalidToken() from None


def confirm(store, token, now=None):
    """Confirm a subscription; returns (sid, confirmed). False: the address is suppressed."""
    email, preferences = read_confirmation(store.settings, token, now)
    sid, _ = _subscriber(store, email)
    stamp = _now(now).astimezone(UTC).isoformat(timespec="seconds")
    confirmed = store.confirm(sid, email, preferences, stamp)
    logger.info("newsletter confirm: %s", "confirmed" if confirmed else "suppressed")
    return sid, confirmed


def _subscriber(store, email):
    """(sid, Subscriber or None): the record under the current key or, made before a
    rotation, under a previous one; the current key's sid when there is none."""
    sids = tokens.subscriber_ids(store.settings.keys, email)
    for sid in sids:
        found = store.get_subscriber(sid)
        if found:
            return sid, found
    return sids[0], None


def _sid(settings, purpose, token):
    data = tokens.unseal(settings.keys, purpose, token)
    if not isinstance(data.get("s"), str):
        raise InvalidToken()
    return data["s"]


def preferences(store, token):
    """The subscriber behind a preferences link (None when no longer subscribed)."""
    subscriber = store.get_subscriber(_sid(store.settings, MANAGE, token))
    return subscriber if subscriber and subscriber.status == "confirmed" else None


def update_preferences(store, token, raw):
    """Save new preferences; False when the subscriber is no longer confirmed."""
    sid = _sid(store.settings, MANAGE, token)
    return store.update_preferences(sid, parse_preferences(raw))


def check_unsubscribe(settings, token):
    """Raise InvalidToken unless this is one of our unsubscribe links (for the GET page)."""
    _sid(settings, UNSUBSCRIBE, token)


def unsubscribe(store, token, now=None):
    """Unsubscribe from every topic. Idempotent: a second call changes nothing, no error."""
    settings = store.settings
    sid = _sid(settings, UNSUBSCRIBE, token)
    expires = _now(now).timestamp() + settings.newsletter_retention_days * 86400
    changed = store.unsubscribe(sid, expires)
    logger.info("newsletter unsubscribe: %s", "done" if changed else "already")
    return changed


def handle_sns(store, message, now=None):
    """An SNS message from SES: verify it, then suppress bounced or complaining addresses.
    Returns what was done: "suppressed:<n>", "ignored" or "subscription"."""
    settings = store.settings
    sns.verify(
        message,
        settings.sns_local_cert_prefix,
        settings.sns_topic_arn,
        production=settings.production,
        now=now,
    )
    if message.get("Type") == "SubscriptionConfirmation":
        # Following SubscribeURL (an SNS URL, already checked by the signature) is left to
        # the operator, who confirms the topic subscription once in the console.
        return "subscription"
    kind, addresses = sns.ses_event(message)
    if not kind:
        return "ignored"
    stamp = _now(now).astimezone(UTC).isoformat(timespec="seconds")
    count = 0
    for address in addresses:
        if "@" in address:
            sid, _ = _subscriber(store, normalize_email(address))
            store.suppress(sid, kind, stamp)
            count += 1
    logger.info("newsletter %s: %d address(es) suppressed", kind, count)
    return f"suppressed:{count}"


def topic_labels(topics, english=False):
    return [TOPICS[t][1 if english else 0] for t in topics if t in TOPICS]


__all__ = [
    "Preferences",
    "check_unsubscribe",
    "confirm",
    "handle_sns",
    "links",
    "list_headers",
    "preferences",
    "subscribe",
    "unsubscribe",
    "update_preferences",
]

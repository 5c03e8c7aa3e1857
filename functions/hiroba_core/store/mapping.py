"""Items ↔ domain objects, by hand: the only place that knows the item layout.

CONSULTATION#<id>  META              the consultation (synced from content/)
CONSULTATION#<id>  COMMENT#<cid>     a comment: answers, status, response, version
CONSULTATION#<id>  PERSONAL#<cid>    its personal data, deleted by TTL (expires_at)
RECEIPT#<number>   RECEIPT           receipt number -> comment (unique)
IDEMPOTENCY#<id>#<key hash>  IDEMPOTENCY   body hash + receipt, deleted by TTL
RATE#<client hash>#<window>  RATE          accepted submissions in a window, TTL

The procedures table has its own layout (store/procedures.py) and shares the idempotency
and rate keys with this one.
"""

import hashlib

from ..domain import Comment, CommentStatus, Consultation, Receipt

META, RECEIPT, IDEMPOTENCY, RATE = "META", "RECEIPT", "IDEMPOTENCY", "RATE"


def consultation_key(consultation_id):
    return {"pk": f"CONSULTATION#{consultation_id}", "sk": META}


def consultation_from_item(item):
    return Consultation.from_dict(item["data"])


def comment_key(consultation_id, comment_id):
    return {"pk": f"CONSULTATION#{consultation_id}", "sk": f"COMMENT#{comment_id}"}


def comment_to_item(comment):
    return {
        **comment_key(comment.consultation_id, comment.id),
        "type": "comment",
        "id": comment.id,
        "consultation_id": comment.consultation_id,
        "receipt": comment.receipt,
        "answers": dict(comment.answers),
        "created_at": comment.created_at,
        "status": comment.status.value,
        "response": comment.response or None,
        "version": comment.version,
    }


def comment_from_item(item, personal=None):
    return Comment(
        id=item["id"],
        consultation_id=item["consultation_id"],
        receipt=item["receipt"],
        answers=dict(item.get("answers", {})),
        created_at=item["created_at"],
        status=CommentStatus(item["status"]),
        response=item.get("response", ""),
        version=int(item["version"]),
        personal=personal,
    )


def personal_to_item(comment, expires_at):
    return {
        "pk": f"CONSULTATION#{comment.consultation_id}",
        "sk": f"PERSONAL#{comment.id}",
        "type": "personal",
        "personal": dict(comment.personal),
        "expires_at": int(expires_at),
    }


def receipt_key(number):
    return {"pk": f"RECEIPT#{number}", "sk": RECEIPT}


def receipt_to_item(receipt):
    return {
        **receipt_key(receipt.number),
        "type": "receipt",
        "consultation_id": receipt.consultation_id,
        "comment_id": receipt.comment_id,
        "created_at": receipt.created_at,
    }


def receipt_from_item(item):
    return Receipt(
        item["pk"].split("#", 1)[1], item["consultation_id"], item["comment_id"], item["created_at"]
    )


def idempotency_key(scope, key):
    """IDEMPOTENCY#<scope>#<sha256 of the key>: scope is a consultation id, "applications" …"""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return {"pk": f"IDEMPOTENCY#{scope}#{digest}", "sk": IDEMPOTENCY}


def idempotency_to_item(scope, key, body_hash, remembered, expires_at):
    """An Idempotency-Key record: the body hash and what a replay needs (services/intake.py)."""
    return {
        **idempotency_key(scope, key),
        "type": "idempotency",
        "body_hash": body_hash,
        **remembered,
        "expires_at": int(expires_at),
    }


def rate_key(client_hash, window_start, scope=None):
    """RATE#<client>#<window>, or RATE#<scope>#<client>#<window> for a counter of its own."""
    prefix = f"RATE#{scope}#" if scope else "RATE#"
    return {"pk": f"{prefix}{client_hash}#{window_start}", "sk": RATE}


def count_request(uow, client_hash, now_epoch, limit, window, scope=None, label="rate"):
    """Add one to the client's counter for the current window, as part of `uow`: the
    commit fails on `label` once `limit` is reached (and nothing else is written). Returns
    the seconds until the window ends (Retry-After). The counter expires by TTL."""
    window_start = now_epoch - now_epoch % window
    uow.update(
        rate_key(client_hash, window_start, scope),
        "SET expires_at = :exp ADD #n :one",
        condition="attribute_not_exists(pk) OR #n < :limit",
        values={":one": 1, ":limit": limit, ":exp": window_start + window},
        names={"#n": "count"},
        label=label,
    )
    return max(1, window_start + window - now_epoch)

"""RFC 9457 problem details: every error the APIs return, with a stable `type` URI.

`title`/`detail` are Japanese (what the site shows), `title_en`/`detail_en` English;
validation problems list per-field `errors`. Messages never contain personal data.
"""

from dataclasses import dataclass, field

from . import errors
from .dates import format_jst
from .signatures.causes import CAUSES as SIGNATURE_CAUSES

TYPE_BASE = "https://hiroba.pref.miyagi.jp/problems/"
MEDIA_TYPE = "application/problem+json"

# slug -> (status, title, title_en)
CATALOGUE = {
    "bad-json": (400, "リクエストの形式が正しくありません", "Malformed request body"),
    "bad-form": (400, "フォームの形式が正しくありません", "Malformed form"),
    "validation": (422, "入力内容に誤りがあります", "The submission has errors"),
    "suspected-bot": (
        400,
        "送信内容を受け付けられませんでした",
        "The submission could not be accepted",
    ),
    "unauthorized": (401, "ログインが必要です", "Authentication required"),
    "forbidden": (403, "この操作の権限がありません", "Not allowed"),
    "cross-site-request": (
        403,
        "ほかのサイトからの送信は受け付けられません",
        "Requests from other sites are refused",
    ),
    "origin-not-verified": (
        403,
        "このアドレスでは受け付けられません",
        "Requests must come through the site",
    ),
    "not-found": (404, "見つかりません", "Not found"),
    "method-not-allowed": (405, "この方法では利用できません", "Method not allowed"),
    "not-open": (409, "意見の募集期間外です", "The consultation is not open"),
    "idempotency-conflict": (
        409,
        "同じ送信キーで異なる内容が送られました",
        "Idempotency-Key reused with a different body",
    ),
    "invalid-transition": (409, "この状態からは変更できません", "Invalid state change"),
    "approval-required": (
        409,
        "完了・却下には決裁が必要です",
        "完了 and 却下 need an approver's decision",
    ),
    "same-approver": (
        403,
        "起案した職員は決裁できません",
        "The proposer cannot approve their own proposal",
    ),
    "version-conflict": (
        409,
        "ほかの人が先に更新しました",
        "The record was changed by someone else",
    ),
    "not-acceptable": (
        406,
        "この形式では応答できません",
        "The response cannot be given in an acceptable form",
    ),
    "too-large": (413, "送信内容が大きすぎます", "Request body too large"),
    "unsupported-media-type": (
        415,
        "この形式の送信は受け付けられません",
        "Unsupported media type",
    ),
    "rate-limited": (429, "短時間に多くの送信がありました", "Too many submissions"),
    "invalid-token": (
        400,
        "このリンクは使えません",
        "This link is invalid or has expired",
    ),
    "invalid-signature": (403, "通知の署名を確認できません", "The signature could not be verified"),
    "draft-gone": (410, "入力の有効時間が過ぎました", "The form has timed out"),
    "already-paid": (409, "すでに納付済みです", "Already paid"),
    "not-payable": (409, "お支払いいただくものはありません", "Nothing to pay"),
    "refund-too-large": (409, "返金できる額を超えています", "More than can be refunded"),
    "document-expired": (
        410,
        "文書のダウンロード期間が過ぎました",
        "The download period of the document has passed",
    ),
    **{
        f"signature-{cause}": (
            422,
            f"電子署名を確認できません（{cause}）",
            f"Signature not accepted ({cause})",
        )
        for cause in SIGNATURE_CAUSES
    },
    "internal": (500, "システムの内部でエラーが起きました", "Internal error"),
    "unavailable": (503, "ただいま混み合っています", "Service temporarily unavailable"),
}


@dataclass
class Problem(Exception):
    slug: str
    detail: str
    detail_en: str
    errors: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        assert self.slug in CATALOGUE, self.slug

    @property
    def status(self):
        return CATALOGUE[self.slug][0]

    def body(self):
        status, title, title_en = CATALOGUE[self.slug]
        data = {
            "type": TYPE_BASE + self.slug,
            "title": title,
            "title_en": title_en,
            "status": status,
            "detail": self.detail,
            "detail_en": self.detail_en,
        }
        if self.errors:
            data["errors"] = [e.as_dict() for e in self.errors]
        data.update(self.extra)
        return data


# why a draft is gone: (detail, detail_en), said on the page that explains it
DRAFT_GONE = {
    "timeout": (
        "画面を切り替えずに30分（入力画面では90分）が過ぎたため、入力した内容を消去しました。"
        "個人情報を守るための決まりです。お手数ですが、最初から申請してください。",
        "More than 30 minutes passed without a page change (90 on a form page), so what you"
        " entered was deleted to protect your data. Please start again.",
    ),
    "attempts": (
        "確認コードを5回まちがえたため、この申請の入力を取り消しました。"
        "メールアドレスの入力からやり直してください。",
        "The code was wrong 5 times, so this application was cancelled. Enter your email"
        " address again to start over.",
    ),
    "submitted": (
        "この申請はすでに送信しました。到達番号と問合せ番号は、確認したメールアドレスにお送りしています。",
        "This application was already sent; the numbers were mailed to your verified address.",
    ),
    "missing": (
        "入力中の申請が見つかりません。時間切れで消去されたか、ブラウザのクッキーが"
        "無効になっています。最初から申請してください。",
        "No application in progress was found: it timed out, or cookies are off in this"
        " browser. Please start again.",
    ),
}


def _jst(moment):
    return format_jst(moment) or "（未定）"


def from_error(error):
    """The problem for a domain error; anything unknown becomes an opaque 500."""
    match error:
        case errors.ValidationFailed():
            return Problem(
                "validation",
                f"{len(error.errors)}件の入力内容を確認してください。",
                f"{len(error.errors)} field(s) need attention.",
                errors=error.errors,
            )
        case errors.NotOpen():
            c = error.consultation
            window = f"募集期間は{_jst(c.opens_at)}から{_jst(c.closes_at)}までです。"
            window_en = (
                f"Comments are accepted from {c.opens_at.isoformat() if c.opens_at else '-'}"
                f" until {c.closes_at.isoformat() if c.closes_at else '-'}."
            )
            if error.state == "upcoming":
                detail, detail_en = "この意見募集はまだ始まっていません。", "Not open yet. "
            else:
                detail, detail_en = "この意見募集は終了しました。", "This consultation has closed. "
            return Problem(
                "not-open",
                detail + window,
                detail_en + window_en,
                extra={
                    "opens_at": c.opens_at.isoformat() if c.opens_at else None,
                    "closes_at": c.closes_at.isoformat() if c.closes_at else None,
                },
            )
        case errors.IdempotencyConflict():
            return Problem(
                "idempotency-conflict",
                "この送信キーは別の内容ですでに使われています。新しく送信し直してください。",
                "This Idempotency-Key was already used with a different body.",
            )
        case errors.SuspectedBot():
            return Problem(
                "suspected-bot",
                "自動送信の可能性があるため受け付けませんでした。少し時間をおいて、入力欄を確かめてから送信してください。",
                "The submission looked automated. Please check the form and send it again.",
            )
        case errors.RateLimited():
            minutes = max(1, -(-error.retry_after // 60))
            return Problem(
                "rate-limited",
                f"同じ接続元からの送信が多すぎます。{minutes}分ほどたってから送信してください。",
                f"Too many submissions from this address. Try again in {error.retry_after} s.",
                headers={"Retry-After": str(error.retry_after)},
            )
        case errors.StoreUnavailable():
            return Problem(
                "unavailable",
                "一時的に受け付けられません。内容は保存されていません。少し時間をおいて送信し直してください。",
                "Temporarily unavailable; nothing was saved. Please retry later.",
                headers={"Retry-After": str(error.retry_after)},
            )
        case errors.Unauthorized():
            return Problem(
                "unauthorized",
                "職員用の認証トークンがないか、有効期限が切れているか、正しくありません。",
                f"Staff token {error.reason}.",
                headers={"WWW-Authenticate": 'Bearer realm="hiroba"'},
            )
        case errors.Forbidden():
            return Problem(
                "forbidden",
                "この操作には担当課の職員の権限が必要です。",
                "This requires a staff role for the owning department.",
            )
        case errors.NotFound():
            return Problem(
                "not-found", "指定されたものは見つかりません。", f"{error.what} not found."
            )
        case errors.InvalidTransition() if error.labels:
            return _labelled_transition(error)
        case errors.InvalidTransition():
            return Problem(
                "invalid-transition",
                f"状態「{error.old}」から「{error.new}」には変更できません。",
                f"Cannot change state from {error.old} to {error.new}.",
            )
        case errors.InquiryNotMatched():
            return inquiry_not_matched()
        case errors.CopyLinkInvalid():
            return Problem(
                "invalid-token",
                "リンクが正しくないか、有効期限（24時間）が切れています。控えが必要な場合は、受付番号を控えて担当課にお問い合わせください。",
                "The link is invalid or has expired (links to receive a copy are valid for 24 hours).",
            )
        case errors.DraftGone():
            return Problem("draft-gone", *DRAFT_GONE[error.reason])
        case errors.ResumeLinkInvalid():
            return Problem(
                "invalid-token",
                "この再開用のリンクは正しくないか、有効期限（7日間）が切れています。"
                "入力した内容は消えました。お手数ですが、最初から申請してください。",
                "The resume link is invalid or more than 7 days old; the saved answers are"
                " gone. Please start the application again.",
            )
        case errors.InvalidToken():
            return Problem(
                "invalid-token",
                "リンクが正しくないか、有効期限（7日間）が切れています。お手数ですが、もう一度登録の手続きをしてください。",
                "The link is invalid or has expired (links to confirm are valid for 7 days).",
            )
        case errors.SignatureInvalid():
            return Problem(
                "invalid-signature",
                "通知の署名または署名用の証明書を確認できませんでした。",
                "The notification's signature or signing certificate could not be verified.",
            )
        case errors.CopyUnavailable():
            return Problem(
                "unavailable",
                "控えのメールを送れませんでした。少し時間をおいて、もう一度ボタンを押してください。",
                "The copy could not be sent. Please press the button again a little later.",
                headers={"Retry-After": str(error.retry_after)},
            )
        case errors.MailUnavailable():
            return Problem(
                "unavailable",
                "確認のメールを送れませんでした。登録はされていません。少し時間をおいてやり直してください。",
                "The confirmation mail could not be sent; nothing was stored. Please retry later.",
                headers={"Retry-After": str(error.retry_after)},
            )
        case errors.ApprovalRequired():
            return Problem(
                "approval-required",
                "完了・却下は、担当職員が起案し、起案者以外の決裁者が決裁します。",
                "A change to 完了 or 却下 is proposed by staff and approved by another member"
                " with the approver role.",
            )
        case errors.SameApprover():
            return Problem(
                "same-approver",
                "自分が起案したものは決裁できません。ほかの決裁者に依頼してください。",
                "You proposed this change; another approver must decide it.",
            )
        case errors.AlreadyPaid():
            return Problem(
                "already-paid",
                "この手数料・税金はすでに納付済みです。二重に支払う必要はありません。",
                "This fee or tax has already been paid; there is nothing more to pay.",
            )
        case errors.NotPayable():
            return Problem(
                "not-payable",
                "この申請には、お支払いいただく手数料がありません（取下げ・却下された申請を含みます）。",
                "There is no fee to pay for this application (or it was withdrawn or rejected).",
            )
        case errors.RefundTooLarge():
            return Problem(
                "refund-too-large",
                f"返金できるのは、成功した支払いの残り{error.refundable:,}円までです。",
                f"At most {error.refundable} yen of a successful payment can still be refunded.",
                extra={"refundable": error.refundable},
            )
        case errors.ProviderUnavailable():
            return Problem(
                "unavailable",
                "決済事業者に接続できませんでした。お支払いはまだ済んでいません。少し時間をおいてやり直してください。",
                "The payment provider could not be reached; nothing was paid. Please retry later.",
                headers={"Retry-After": str(error.retry_after)},
            )
        case errors.SignatureRejected():
            return signature_rejected(error.verdict)
        case errors.DocumentExpired():
            return Problem(
                "document-expired",
                f"この文書をダウンロードできる期間（{_jst(error.until)}まで）が過ぎました。必要な場合は担当課にお問い合わせください。",
                f"The document could be downloaded until {error.until.isoformat()}; please contact the department.",
            )
        case errors.DocumentUnavailable():
            return Problem(
                "unavailable",
                "文書に電子署名できないため、状態を変更していません。少し時間をおいてやり直してください。",
                "The document could not be signed; the status was not changed. Please retry later.",
                headers={"Retry-After": str(error.retry_after)},
            )
        case errors.VersionConflict():
            return Problem(
                "version-conflict",
                "ほかの職員が先に更新しました。画面を読み込み直してから操作してください。",
                "The record changed since it was read; reload and retry.",
            )
    return internal()


def bad_json():
    return Problem(
        "bad-json",
        "送信内容をJSONとして読み取れませんでした。",
        "The body is not valid JSON (an object is expected).",
    )


def bad_form():
    return Problem(
        "bad-form",
        "送信されたフォームを読み取れませんでした。ページを開き直して、もう一度送ってください。",
        "The posted form could not be read (multipart/form-data is expected).",
    )


def too_large(limit):
    return Problem(
        "too-large",
        f"送信内容は{limit // 1024}KB以内にしてください。",
        f"The body must not exceed {limit} bytes.",
    )


def unsupported_media_type(content_type, accepted):
    return Problem(
        "unsupported-media-type",
        f"Content-Type は {', '.join(accepted)} のいずれかにしてください。",
        f"Unsupported Content-Type {content_type[:80]!r}; use one of {', '.join(accepted)}.",
    )


def method_not_allowed(allowed):
    return Problem(
        "method-not-allowed",
        f"この URL で使える方法は {allowed} です。",
        f"Allowed methods: {allowed}.",
        headers={"Allow": allowed},
    )


def cross_site():
    return Problem(
        "cross-site-request",
        "宮城県のサイト以外のページからの送信は受け付けられません。宮城県のサイトの入力画面から送信してください。",
        "This request came from a page on another site. Please use the form on the prefecture's site.",
    )


def not_through_cdn():
    return Problem(
        "origin-not-verified",
        "このアドレスへの直接のアクセスは受け付けられません。宮城県のサイトからご利用ください。",
        "Direct requests to the API origin are refused; use the site's address.",
    )


def not_found(what="resource"):
    return from_error(errors.NotFound(what))


def internal():
    return Problem(
        "internal",
        "申し訳ありません。時間をおいてもう一度お試しください。",
        "Sorry, something went wrong. Please try again later.",
    )


def _labelled_transition(error):
    """「到達」から「完了」には変更できません。「到達」からは「受付」「却下」…にだけ変更できます。"""

    def ja(state):
        return error.labels.get(state, (state, state))[0]

    def en(state):
        return error.labels.get(state, (state, state))[1]

    detail = f"状態「{ja(error.old)}」から「{ja(error.new)}」には変更できません。"
    detail_en = f"Cannot change the status from {en(error.old)} to {en(error.new)}."
    if error.allowed:
        detail += "「{}」からは{}にだけ変更できます。".format(
            ja(error.old), "".join(f"「{ja(s)}」" for s in error.allowed)
        )
        detail_en += " From {} it can change only to: {}.".format(
            en(error.old), ", ".join(en(s) for s in error.allowed)
        )
    else:
        detail += "この状態からは変更できません。"
        detail_en += " This status is final."
    return Problem(
        "invalid-transition",
        detail,
        detail_en,
        extra={"current_status": error.old, "allowed": list(error.allowed)},
    )


def inquiry_not_matched():
    """The one answer to a wrong reference number and to a wrong inquiry code alike."""
    return Problem(
        "not-found",
        "到達番号または問合せ番号が違います。申請したときに表示された2つの番号を確かめて、もう一度入力してください。",
        "The reference number or the inquiry code is wrong. Check both numbers you were given when you applied.",
        errors=[
            errors.FieldError(
                "reference",
                "到達番号を確かめてください",
                "Check the reference number",
            ),
            errors.FieldError(
                "inquiry_code",
                "問合せ番号を確かめてください",
                "Check the inquiry code",
            ),
        ],
    )


def signature_rejected(verdict):
    """One problem type per cause (signature-modified, signature-revoked, ...), with what
    was found; the signer's name is not repeated here."""
    ja, en = SIGNATURE_CAUSES[verdict.cause]
    return Problem(
        f"signature-{verdict.cause}",
        ja,
        en,
        errors=[errors.FieldError("signature", ja, en)],
        extra={
            "cause": verdict.cause,
            "modified_after_signing": verdict.modified_after_signing,
            "revocation": verdict.revocation,
            "trusted_anchor": verdict.trusted_anchor,
        },
    )

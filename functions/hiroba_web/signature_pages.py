"""The 署名検証 pages the procedures API answers to the public form (/procedures/verify/):
the verdict, and the list of what to correct. Templates of the theme
(theme/templates/app/signature-verdict.html)."""

from hiroba_core.dates import format_jst

from .pages import error_page, html

FORM_PAGE = "/procedures/verify/"
FIELD_IDS = {"pdf": "verify-pdf", "file": "verify-file", "signature": "verify-signature"}
REVOCATION = {
    "good": "失効していません（失効リストで確認しました）",
    "revoked": "失効しています",
    "unknown": "確認できません（認証局の失効リストがありません）",
    "not-checked": "確認していません（署名を検証できなかったため）",
}


def verdict_page(verdict):
    """Valid or not and why, the signer, the signing time, changes after signing, the
    chain and its anchor, revocation: what the issue's 署名検証 page shows."""
    data = verdict.as_dict()
    return html(
        "app/signature-verdict.html",
        title="署名検証の結果",
        verdict=data,
        signing_time=format_jst(verdict.signing_time) if verdict.signing_time else "",
        timestamp=format_jst(verdict.timestamp) if verdict.timestamp else "",
        revocation=REVOCATION.get(verdict.revocation, verdict.revocation),
        form_page=FORM_PAGE,
    )


def error(problem):
    return error_page(problem, FORM_PAGE, field_id=lambda field: FIELD_IDS.get(field, "verify-pdf"))

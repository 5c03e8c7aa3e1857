"""The newsletter's pages the API answers (links in mails, forms posted without script),
templates of the theme (theme/templates/app/) like every page an app answers.

A GET never changes anything: confirming, saving preferences and unsubscribing are POSTs
from a button on these pages, so a mail scanner following links cannot act for anyone.
"""

from hiroba_core.domain.subscription import FREQUENCIES, LANGUAGES, TOPICS
from hiroba_core.languages import BY_CODE

from .pages import html

BASE = "/api/publishing/newsletter"
SUBSCRIBE_PAGE = "/newsletter/subscribe/"


def field_id(field):
    """The id of the control for an error's field on the subscribe and preferences forms."""
    return f"newsletter-{field}"


def _button_page(title, heading, text, action, token, button_text, after=""):
    return html(
        "app/newsletter-button.html",
        title=title,
        heading=heading,
        text=text,
        action=f"{BASE}/{action}",
        token=token,
        button_text=button_text,
        after=after,
    )


def _message(title, text, link_text="", link_href="", after=""):
    return html(
        "app/message.html",
        title=title,
        text=text,
        link_text=link_text,
        link_href=link_href,
        after=after,
    )


def confirm_page(token):
    return _button_page(
        "登録の確認",
        "メルマガ・みやぎの登録を完了しますか",
        "下のボタンを押すと登録が完了し、選んだ分野のメールが届くようになります。",
        "confirm",
        token,
        "登録を完了する",
        "お申し込みに心当たりがない場合は、このページを閉じてください。登録はされません。",
    )


def confirmed_page(manage_url):
    return _message(
        "登録が完了しました",
        "メルマガ・みやぎの登録が完了しました。配信する分野や頻度は、",
        "配信設定のページ",
        manage_url,
        "でいつでも変えられます。このリンクは毎回のメールにも載っています。",
    )


def suppressed_page():
    return _message(
        "登録できません",
        "このメールアドレスには、以前に配信できなかったか迷惑メールとして報告されたため、"
        "メールを送れません。別のアドレスで登録してください。",
    )


def preferences_page(token, subscriber, unsubscribe_url):
    chosen = subscriber.preferences
    return html(
        "app/newsletter-preferences.html",
        title="配信設定",
        action=f"{BASE}/preferences",
        token=token,
        unsubscribe_url=unsubscribe_url,
        topics=[
            {"value": t, "text": ja, "checked": t in chosen.topics} for t, (ja, _) in TOPICS.items()
        ],
        frequencies=[
            {"value": f, "text": ja, "checked": f == chosen.frequency}
            for f, (ja, _) in FREQUENCIES.items()
        ],
        languages=[
            {
                "value": code,
                "text": BY_CODE[code].name,
                "selected": code == chosen.lang,
                "attributes": {"lang": BY_CODE[code].tag},
            }
            for code in LANGUAGES
        ],
    )


def not_subscribed_page():
    return _message(
        "登録されていません",
        "このリンクのメールアドレスは、いま登録されていません。",
        "登録のページ",
        SUBSCRIBE_PAGE,
        "から申し込んでください。",
    )


def saved_page():
    return _message("配信設定を保存しました", "次の配信から、新しい設定でお届けします。")


def unsubscribe_page(token):
    return _button_page(
        "配信の停止",
        "メルマガ・みやぎの配信を停止しますか",
        "下のボタンを押すと、すべての分野の配信を停止します。",
        "unsubscribe",
        token,
        "配信を停止する",
    )


def unsubscribed_page():
    return _message(
        "配信を停止しました",
        "メルマガ・みやぎの配信を停止しました。メールアドレスは削除しました。また受け取るときは",
        "登録のページ",
        SUBSCRIBE_PAGE,
        "から申し込んでください。",
    )

"""The newsletter's pages the API answers (links in mails, forms posted without script).

A GET never changes anything: confirming, saving preferences and unsubscribing are POSTs
from a button on these pages, so a mail scanner following links cannot act for anyone.
"""

from html import escape

from hiroba_core.domain.subscription import FREQUENCIES, LANGUAGES, TOPICS
from hiroba_core.languages import NAMES as LANGUAGE_NAMES

from .pages import html

BASE = "/api/publishing/newsletter"
SUBSCRIBE_PAGE = "/newsletter/subscribe/"


def field_id(field):
    """The id of the control for an error's field on the subscribe and preferences forms."""
    return f"newsletter-{field}"


def _button_form(action, token, label, extra=""):
    return f"""<form method="post" action="{BASE}/{action}" novalidate>
<input type="hidden" name="token" value="{escape(token)}">
{extra}<button class="hiroba-button" type="submit">{escape(label)}</button>
</form>"""


def _panel(title, text):
    return f"""<div class="hiroba-panel" role="status">
<h1 class="hiroba-panel__title">{escape(title)}</h1>
</div>
<p>{text}</p>
"""


def confirm_page(token):
    body = f"""<h1>メルマガ・みやぎの登録を完了しますか</h1>
<p>下のボタンを押すと登録が完了し、選んだ分野のメールが届くようになります。</p>
{_button_form("confirm", token, "登録を完了する")}
<p>お申し込みに心当たりがない場合は、このページを閉じてください。登録はされません。</p>
"""
    return html("登録の確認", body)


def confirmed_page(manage_url):
    text = (
        "メルマガ・みやぎの登録が完了しました。配信する分野や頻度は、"
        f'<a href="{escape(manage_url)}">配信設定のページ</a>でいつでも変えられます。'
        "このリンクは毎回のメールにも載っています。"
    )
    return html("登録が完了しました", _panel("登録が完了しました", text))


def suppressed_page():
    text = (
        "このメールアドレスには、以前に配信できなかったか迷惑メールとして報告されたため、"
        "メールを送れません。別のアドレスで登録してください。"
    )
    return html("登録できません", _panel("登録できません", text))


def _choices(preferences):
    topics = "".join(
        f'<div class="hiroba-checkbox"><input type="checkbox" id="newsletter-topics-{t}"'
        f' name="topics" value="{t}"{" checked" if t in preferences.topics else ""}>'
        f' <label for="newsletter-topics-{t}">{escape(ja)}</label></div>'
        for t, (ja, _) in TOPICS.items()
    )
    frequencies = "".join(
        f'<div class="hiroba-checkbox"><input type="radio" id="newsletter-frequency-{f}"'
        f' name="frequency" value="{f}"{" checked" if f == preferences.frequency else ""}>'
        f' <label for="newsletter-frequency-{f}">{escape(ja)}</label></div>'
        for f, (ja, _) in FREQUENCIES.items()
    )
    languages = "".join(
        f'<option value="{code}"{" selected" if code == preferences.lang else ""}>'
        f"{escape(LANGUAGE_NAMES[code])}</option>"
        for code in LANGUAGES
    )
    return f"""<fieldset class="hiroba-fieldset" id="newsletter-topics">
<legend class="hiroba-fieldset__legend">受け取る分野</legend>
{topics}
</fieldset>
<fieldset class="hiroba-fieldset" id="newsletter-frequency">
<legend class="hiroba-fieldset__legend">配信の頻度</legend>
{frequencies}
</fieldset>
<p><label class="hiroba-label" for="newsletter-lang">言語</label>
<select class="hiroba-select" id="newsletter-lang" name="lang">{languages}</select></p>
"""


def preferences_page(token, subscriber, unsubscribe_url):
    body = f"""<h1>メルマガ・みやぎの配信設定</h1>
{_button_form("preferences", token, "設定を保存する", _choices(subscriber.preferences))}
<p><a href="{escape(unsubscribe_url)}">すべての配信を停止する</a></p>
"""
    return html("配信設定", body)


def not_subscribed_page():
    text = (
        "このリンクのメールアドレスは、いま登録されていません。"
        f'<a href="{SUBSCRIBE_PAGE}">登録のページ</a>から申し込んでください。'
    )
    return html("登録されていません", _panel("登録されていません", text))


def saved_page():
    return html(
        "配信設定を保存しました",
        _panel("配信設定を保存しました", "次の配信から、新しい設定でお届けします。"),
    )


def unsubscribe_page(token):
    body = f"""<h1>メルマガ・みやぎの配信を停止しますか</h1>
<p>下のボタンを押すと、すべての分野の配信を停止します。</p>
{_button_form("unsubscribe", token, "配信を停止する")}
"""
    return html("配信の停止", body)


def unsubscribed_page():
    text = (
        "メルマガ・みやぎの配信を停止しました。メールアドレスは削除しました。"
        f'また受け取るときは<a href="{SUBSCRIBE_PAGE}">登録のページ</a>から申し込んでください。'
    )
    return html("配信を停止しました", _panel("配信を停止しました", text))

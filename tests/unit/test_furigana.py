"""Furigana: ruby for kanji in text only, with the editors' readings for names and places."""

import html5lib

from plugins.furigana.furigana import annotate_html, annotate_word

DICTIONARY = {"名取市": "なとりし", "宮城県": "みやぎけん"}


def test_okurigana_stays_outside_the_ruby():
    assert annotate_word("逃げ", "にげ") == "<ruby>逃<rt>に</rt></ruby>げ"
    assert annotate_word("お茶", "おちゃ") == "お<ruby>茶<rt>ちゃ</rt></ruby>"
    assert annotate_word("ひらがな", "ひらがな") == "ひらがな"


def test_dictionary_and_editor_readings_win():
    html = annotate_html("<p>名取市と{七ヶ浜町|しちがはままち}の宮城県です。</p>", DICTIONARY)
    assert "<ruby>名取市<rt>なとりし</rt></ruby>" in html
    assert "<ruby>七ヶ浜町<rt>しちがはままち</rt></ruby>" in html
    assert "<ruby>宮城県<rt>みやぎけん</rt></ruby>" in html
    assert "{" not in html


def test_analyser_reads_ordinary_words():
    html = annotate_html("<p>地震のときは高い所へ逃げます。</p>", {})
    assert "<ruby>地震<rt>じしん</rt></ruby>" in html
    assert "<ruby>逃<rt>に</rt></ruby>げます" in html


def test_never_inside_attributes_code_or_urls():
    source = (
        '<p><a href="/news/名取市/" title="宮城県">名取市の案内</a> <code>宮城県</code></p>'
        '<pre>避難所</pre><img src="地図.png" alt="避難所の地図">'
    )
    html = annotate_html(source, DICTIONARY)
    assert 'href="/news/名取市/"' in html and 'title="宮城県"' in html
    assert "<code>宮城県</code>" in html and "<pre>避難所</pre>" in html
    assert 'src="地図.png" alt="避難所の地図"' in html
    assert "<ruby>名取市<rt>なとりし</rt></ruby>の<ruby>案内<rt>あんない</rt></ruby>" in html


def test_output_is_valid_html():
    html = annotate_html("<p>県からの<strong>大切な</strong>お知らせです。</p>", DICTIONARY)
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    parser.parseFragment(html)
    assert html.count("<ruby>") == html.count("</ruby>") >= 3

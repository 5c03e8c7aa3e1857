import markdown

from plugins.table_captions.table_captions import TableCaptionExtension


def render(text):
    return markdown.markdown(text, extensions=["tables", TableCaptionExtension()])


def test_caption_paragraph_moves_into_the_table():
    html = render("表: 目標指標\n\n| 指標 | 目標値 |\n|---|---|\n| 電子申請利用率 | 30% |\n")
    assert html.startswith("<table>\n<caption>目標指標</caption>")
    assert "<p>" not in html
    assert '<th scope="col">指標</th>' in html


def test_other_paragraphs_stay():
    html = render("表の説明です。\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<p>表の説明です。</p>" in html and "<caption>" not in html

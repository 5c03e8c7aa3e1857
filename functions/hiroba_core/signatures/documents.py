"""The PDF of a document the 団体 issues when an application is completed (納税証明書, 課税
証明書, 受講決定通知書), laid out from a template per kind of document. A procedure names its
template in the catalogue (`issues = "nozei-shomei"`); the catalogue parser checks the name
against TEMPLATES.

The Japanese font is IPAex Gothic (IPA Font License v1.0, which allows redistribution): the
deployment package carries it in hiroba_core/data/fonts/ (infra copies it from Debian's
fonts-ipaexfont-gothic), a development machine reads Debian's copy. fpdf2 embeds the
subset of glyphs a document uses, so the text can be extracted and printed anywhere.
"""

import os
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from ..dates import JST
from .templates import TEMPLATES  # noqa: F401  (the documents this module renders)

FONT_FILE = "ipaexg.ttf"
PACKAGED_FONT = Path(__file__).resolve().parents[1] / "data" / "fonts" / FONT_FILE
SYSTEM_FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic") / FONT_FILE


class FontMissing(RuntimeError):
    pass


def font_path():
    """HIROBA_DOCUMENT_FONT, the packaged copy, or Debian's; FontMissing otherwise."""
    for path in (os.environ.get("HIROBA_DOCUMENT_FONT"), PACKAGED_FONT, SYSTEM_FONT):
        if path and Path(path).is_file():
            return Path(path)
    raise FontMissing(
        f"{FONT_FILE} not found: apt-get install fonts-ipaexfont-gothic (or set HIROBA_DOCUMENT_FONT)"
    )


def wareki(moment):
    """令和8年12月3日 (dates from 2019-05-01, the first day of 令和)."""
    return f"令和{moment.year - 2018}年{moment.month}月{moment.day}日"


def render(template, *, reference, applicant, answers, issuer, issued_at, procedure_title):
    """The unsigned PDF (bytes) of one document."""
    font = font_path()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("ipaexg", "", str(font))
    pdf.set_title(template.title)
    pdf.set_author(issuer)
    pdf.set_creator("Hiroba")
    pdf.set_lang("ja")
    pdf.set_creation_date(issued_at)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("ipaexg", size=10)
    pdf.cell(width, 6, f"証明番号 {reference}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(width, 6, wareki(issued_at.astimezone(JST)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("ipaexg", size=20)
    pdf.cell(width, 12, template.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("ipaexg", size=12)
    name = (applicant or {}).get("name") or (applicant or {}).get("organization") or ""
    if name:
        pdf.cell(width, 8, f"{name} {template.addressee}", new_x="LMARGIN", new_y="NEXT")
    address = (applicant or {}).get("address")
    if address:
        pdf.set_font("ipaexg", size=10)
        pdf.multi_cell(width, 6, f"住所 {address}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("ipaexg", size=11)
    label_width = 40
    rows = [("手続", procedure_title)] + [
        (label, str(answers.get(qid, ""))) for label, qid in template.rows if answers.get(qid)
    ]
    for label, value in rows:
        top = pdf.get_y()
        pdf.multi_cell(label_width, 8, label, border=1, new_x="RIGHT", new_y="TOP")
        pdf.set_xy(pdf.l_margin + label_width, top)
        pdf.multi_cell(width - label_width, 8, value, border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.multi_cell(width, 7, template.statement, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.set_font("ipaexg", size=13)
    pdf.cell(width, 8, issuer, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(16)
    pdf.set_font("ipaexg", size=8)
    pdf.multi_cell(
        width,
        5,
        "この証明書は電子署名された電子文書です。署名の検証で、発行した団体と、発行後に改変されていないことを確かめられます。"
        "印刷したものは証明書の写しです。",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def issued_now():
    return datetime.now(JST)

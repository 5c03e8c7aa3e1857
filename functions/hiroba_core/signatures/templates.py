"""The kinds of document the 団体 issues, one template each: what the catalogue's `issues`
may name (checked by hiroba_core.catalogue) and what documents.render lays out. Kept apart
from the renderer so that reading the catalogue does not load the PDF library."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    """One kind of document: its title, what it certifies, and which answers it lists."""

    title: str
    title_en: str
    statement: str  # the sentence above the issuer's name
    rows: tuple = ()  # (label, question id) listed from the application's answers
    addressee: str = "様"


TEMPLATES = {
    "nozei-shomei": Template(
        title="納税証明書",
        title_en="Certificate of tax payment",
        statement="上記の税目及び年度について、納付すべき税額に未納がないことを証明します。",
        rows=(("税目", "tax"), ("年度", "fiscal_year"), ("使用目的", "purpose")),
    ),
    "kazei-shomei": Template(
        title="市民税・県民税 課税（所得）証明書",
        title_en="Certificate of municipal tax and income",
        statement="上記の年度について、市民税・県民税の課税の状況が市の課税台帳に記載のとおりであることを証明します。",
        rows=(("年度", "fiscal_year"),),
    ),
    "koza-kettei": Template(
        title="受講決定通知書",
        title_en="Notice of admission to a course",
        statement="上記の講座の受講を決定しましたので通知します。",
        rows=(("講座", "course"),),
    ),
}

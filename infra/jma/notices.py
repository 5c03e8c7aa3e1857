"""A JMA report as an emergency notice in content/news/ (Markdown, so Git keeps the record).

The text comes from JMA, not from us: it is escaped for Markdown and HTML wherever it goes
into the file, and it passes the same content rules as an editor's notice.
"""

import re

from hiroba_core.dates import JST, format_date_ja

from .reports import PREFECTURE

DEPARTMENT = "kikitaisaku"  # 総務部 危機対策課
CATEGORY = "防災・危機管理"
TAGS = {"tsunami": "津波", "earthquake": "地震"}
SOURCES = {
    "tsunami": "津波警報・注意報・予報",
    "weather": "気象警報・注意報",
    "landslide": "土砂災害警戒情報",
    "earthquake": "震源・震度に関する情報",
}
AREAS_SHOWN = 10
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def escaped(value):
    """JMA's words as literal text in Markdown (a summary is Markdown too)."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = MARKDOWN_SPECIAL.sub(r"\\\1", value)
    # a leading "1." or "-" would start a list
    return re.sub(r"^(\d+)\.", r"\1\\.", value).replace("\n", " ")


def front_value(value):
    """One line of front matter: no line breaks can come in from the report."""
    return " ".join(value.split())


def when(moment):
    local = moment.astimezone(JST)
    return f"{format_date_ja(local)}{local.hour}時{local.minute:02d}分"


def stamp(moment):
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def slug_for(report, episode_start=None):
    """Tsunami and earthquake notices follow JMA's EventID; warnings, which JMA reissues
    as a whole without one, are one notice from the first report until all are lifted."""
    if report.kind in ("tsunami", "earthquake"):
        event = re.sub(r"[^a-z0-9]+", "-", report.event_id.lower()).strip("-")
        return f"jma-{report.kind}-{event}"
    start = episode_start or report.reported_at
    return f"jma-{report.kind}-{start.astimezone(JST):%Y%m%d%H%M}"


def area_text(areas):
    shown = list(areas[:AREAS_SHOWN])
    more = len(areas) - len(shown)
    return "、".join(shown) + (f"ほか{more}地域" if more > 0 else "")


def title_of(report, previous_title=None):
    if report.lifted:
        if previous_title and "解除" not in previous_title:
            return f"{PREFECTURE}の{_what(previous_title)}は解除されました"
        return f"{PREFECTURE}の{SOURCES[report.kind]}は解除されました"
    if report.kind == "earthquake":
        return f"{PREFECTURE}で{report.warnings[0]}の地震がありました"
    return f"{PREFECTURE}に{'・'.join(report.warnings[:4])}が発表されています"


def _what(title):
    match = re.search(r"に(.+)が発表されています", title)
    return match.group(1) if match else "緊急情報"


def markdown(report, slug, severity, previous_title=None):
    """The notice's file. `severity` is the report's own, or, once lifted, the last one."""
    title = title_of(report, previous_title)
    lifted = report.lifted
    expires = report.reported_at if lifted else report.expires()
    areas = area_text(report.areas) if report.areas else PREFECTURE
    if lifted:
        summary = f"気象庁は{when(report.reported_at)}、{title.removeprefix(PREFECTURE + 'の')}"
    elif report.kind == "earthquake":
        summary = f"{when(report.reported_at)}の気象庁の発表で、{PREFECTURE}では最大{report.warnings[0]}を観測しました。"
    else:
        summary = f"気象庁は{when(report.reported_at)}、{PREFECTURE}に{'・'.join(report.warnings)}を発表しました。"
    lines = [
        f"Title: {front_value(title)}",
        f"Date: {stamp(report.reported_at)}",
        f"Category: {CATEGORY}",
    ]
    if report.kind in TAGS:
        lines.append(f"Tags: {TAGS[report.kind]}")
    lines += [
        f"Slug: {slug}",
        f"Summary: {front_value(escaped(summary))}",
        f"Department: {DEPARTMENT}",
        "Emergency: true",
        f"Severity: {severity}",
        f"Area: {front_value(areas)}",
        f"Expires_at: {stamp(expires)}",
        "",
        escaped(summary),
        "",
    ]
    if report.headline:
        lines += [escaped(report.headline), ""]
    if report.details:
        lines += ["## 対象地域と内容", ""]
        lines += [f"- {escaped(area)}：{escaped(what)}" for area, what in report.details]
        lines.append("")
    if not lifted:
        lines += [
            "テレビ・ラジオ、市町村からの避難の呼びかけなど、最新の情報を確かめて、"
            "身の安全を確保してください。",
            "",
        ]
    serial = report.serial if report.serial.isdigit() else ""
    number = f"、第{serial}報" if serial else ""
    lines += [
        f"出典：気象庁「{SOURCES[report.kind]}」（防災情報XML、{when(report.reported_at)}発表{number}）。"
        "この情報は気象庁の発表から自動で掲載しています。",
        "",
    ]
    return "\n".join(lines)

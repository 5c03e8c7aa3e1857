"""JMA 防災情報XML reports, read with lxml and mapped onto Hiroba's emergency model.

A report is `jmx:Report` with `Control`, `Head` (informationBasis1: Title, ReportDateTime,
EventID, InfoType, Serial, InfoKind, Headline) and a `Body` in the namespace of its kind:
meteorology1 for 気象警報・注意報 (VPWW54) and 土砂災害警戒情報 (VXWW50), seismology1 for
津波警報・注意報・予報 (VTSE41) and 震源・震度に関する情報 (VXSE53). Only what lies in
Miyagi is kept, by area code: 府県予報区 040000, municipalities 04xxxxx, 津波予報区 220
(宮城県), and 都道府県 04 in the seismic intensity.

Severity, as the issue on emergencies decided: 特別警報 (and 大津波警報, 震度6弱 or more) →
extreme, 警報 (and 津波警報, 土砂災害警戒情報, 震度5弱・5強) → severe, 注意報 (and 津波注意報,
震度4) → moderate. Anything below is not an emergency.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lxml import etree

JMX = "http://xml.kishou.go.jp/jmaxml1/"
IB = "http://xml.kishou.go.jp/jmaxml1/informationBasis1/"
MET = "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/"
SEIS = "http://xml.kishou.go.jp/jmaxml1/body/seismology1/"
NS = {"jmx": JMX, "ib": IB, "met": MET, "seis": SEIS}

PREFECTURE = "宮城県"
TSUNAMI_AREA = "220"  # 津波予報区「宮城県」
PREFECTURE_AREA = "040000"  # 府県予報区「宮城県」
MUNICIPALITY_PREFIX = "04"  # 市町村等をまとめた地域・市町村: 04xxxxx
SEISMIC_PREFECTURE = "04"

SEVERITY_ORDER = ("moderate", "severe", "extreme")
# 大津波警報 52/53, 津波警報 51, 津波注意報 62; 00 津波なし, 50 警報解除, 60 注意報解除
TSUNAMI_SEVERITY = {"52": "extreme", "53": "extreme", "51": "severe", "62": "moderate"}
TSUNAMI_LIFTED = {"00", "50", "60"}
INTENSITY_SEVERITY = {
    "7": "extreme",
    "6+": "extreme",
    "6-": "extreme",
    "5+": "severe",
    "5-": "severe",
    "4": "moderate",
}
INTENSITY_NAMES = {"7": "7", "6+": "6強", "6-": "6弱", "5+": "5強", "5-": "5弱", "4": "4"}
# how long a notice stays up when JMA neither lifts it nor gives a ValidDateTime
LIFETIME = {"tsunami": 24, "weather": 24, "landslide": 24, "earthquake": 12}  # hours
KINDS = {
    "津波警報・注意報・予報": "tsunami",
    "気象警報・注意報": "weather",
    "土砂災害警戒情報": "landslide",
    "震源・震度情報": "earthquake",
    "地震情報": "earthquake",
}


class MalformedReport(ValueError):
    """Not a JMA report we can read; the poller logs it and skips it."""


@dataclass(frozen=True)
class Report:
    """One report, as far as Miyagi is concerned."""

    kind: str  # tsunami, weather, landslide, earthquake
    title: str  # Head/Title
    event_id: str  # Head/EventID (empty for 気象警報・注意報)
    serial: str  # Head/Serial, or the report time when JMA gives none
    info_type: str  # 発表, 訂正, 取消
    reported_at: datetime
    valid_until: datetime | None
    headline: str
    severity: str | None  # None: nothing in force in Miyagi (lifted, or never there)
    warnings: tuple = ()  # names of what is in force, e.g. ("大雨警報", "洪水注意報")
    areas: tuple = ()  # area names in Miyagi it covers, from the report
    concerns_miyagi: bool = False  # any item for Miyagi, in force or lifted
    details: tuple = field(default=())  # (area, what) lines for the notice's body

    @property
    def key(self):
        """What makes a report the same report: its event and its serial."""
        return f"{self.kind}|{self.event_id}|{self.serial}"

    @property
    def lifted(self):
        return self.concerns_miyagi and (self.severity is None or self.info_type == "取消")

    def expires(self):
        if self.valid_until:
            return self.valid_until
        return self.reported_at + timedelta(hours=LIFETIME[self.kind])


def text(value):
    """JMA's text as the site's content rules want it: 全角英数字, 半角カナ and 機種依存文字
    become their plain forms (the rules refuse them); Japanese punctuation stays."""
    # JMA breaks Japanese sentences over lines: joined without a space, runs of spaces
    # (and 全角 spaces) inside a line become one
    value = "".join(" ".join(line.split()) for line in (value or "").splitlines())
    return NOT_PLAIN.sub(_plain_form, value)


# 全角英数字 (and the point of ０．３ｍ), 半角カナ (a run, so ｶﾞ becomes ガ), ① Ⅳ ㈱ ㌔
NOT_PLAIN = re.compile(
    "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff0e]|[\uff61-\uff9f]+"
    "|[\u2460-\u24ff\u2160-\u2188\u3200-\u33ff]"
)


def _plain_form(match):
    found = match.group(0)
    plain = unicodedata.normalize("NFKC", found)
    # ① is a number in a circle: (1), as the content rules suggest
    return f"({plain})" if plain.isdigit() and not found.isdecimal() else plain


def _time(value, where):
    try:
        return datetime.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise MalformedReport(f"{where}: not a date and time: {value!r}") from None


def parse(data):
    """A Report from the bytes of a JMA XML document; MalformedReport if unreadable."""
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        raise MalformedReport(f"not well-formed XML: {error}") from None
    if root.tag != f"{{{JMX}}}Report":
        raise MalformedReport(f"not a jmaxml1 Report: {root.tag}")
    head = root.find("ib:Head", NS)
    if head is None:
        raise MalformedReport("no Head (informationBasis1)")
    info_kind = head.findtext("ib:InfoKind", "", NS).strip()
    kind = KINDS.get(info_kind)
    if kind is None:
        raise MalformedReport(f"a kind of report we do not read: {info_kind!r}")
    reported_at = _time(head.findtext("ib:ReportDateTime", None, NS), "ReportDateTime")
    valid = head.findtext("ib:ValidDateTime", None, NS)
    title = text(head.findtext("ib:Title", "", NS))
    event_id = head.findtext("ib:EventID", "", NS).strip()
    serial = head.findtext("ib:Serial", "", NS).strip()
    if not event_id:
        # 気象警報・注意報 and 土砂災害警戒情報 carry no EventID: each report replaces the
        # last one of its office, so the office's title and the report time name it
        event_id, serial = title, f"{serial}@{reported_at.isoformat()}".lstrip("@")
    common = {
        "kind": kind,
        "title": title,
        "event_id": event_id,
        "serial": serial,
        "info_type": head.findtext("ib:InfoType", "", NS).strip(),
        "reported_at": reported_at,
        "valid_until": _time(valid, "ValidDateTime") if valid and valid.strip() else None,
        "headline": text(head.findtext("ib:Headline/ib:Text", "", NS)),
    }
    if common["info_type"] not in ("発表", "訂正", "取消"):
        raise MalformedReport(f"InfoType {common['info_type']!r}")
    body = root.find("seis:Body", NS) if kind in ("tsunami", "earthquake") else None
    if body is None and kind in ("weather", "landslide"):
        body = root.find("met:Body", NS)
    if body is None:
        raise MalformedReport(f"no Body for {info_kind}")
    found = {
        "tsunami": _tsunami,
        "weather": _warnings,
        "landslide": _warnings,
        "earthquake": _earthquake,
    }[kind](body)
    return Report(**common, **found)


def _strongest(severities):
    return max(severities, key=SEVERITY_ORDER.index) if severities else None


def _tsunami(body):
    severities, warnings, areas, details, seen = [], [], [], [], False
    for item in body.iterfind("seis:Tsunami/seis:Forecast/seis:Item", NS):
        if item.findtext("seis:Area/seis:Code", "", NS).strip() != TSUNAMI_AREA:
            continue
        seen = True
        code = item.findtext("seis:Category/seis:Kind/seis:Code", "", NS).strip()
        name = text(item.findtext("seis:Category/seis:Kind/seis:Name", "", NS))
        area = text(item.findtext("seis:Area/seis:Name", "", NS))
        if code not in TSUNAMI_SEVERITY or code in TSUNAMI_LIFTED or "解除" in name:
            details.append((area, name or "解除"))
            continue
        severities.append(TSUNAMI_SEVERITY[code])
        warnings.append(name)
        areas.append(area)
        height = item.find("seis:MaxHeight/*", NS)
        described = height.get("description") if height is not None else None
        details.append(
            (area, f"{name}（予想される津波の高さ：{text(described)}）" if described else name)
        )
    return {
        "severity": _strongest(severities),
        "warnings": tuple(dict.fromkeys(warnings)),
        "areas": tuple(dict.fromkeys(areas)),
        "concerns_miyagi": seen,
        "details": tuple(details),
    }


def _in_miyagi(code):
    return code == PREFECTURE_AREA or (len(code) == 7 and code.startswith(MUNICIPALITY_PREFIX))


def _warning_severity(name):
    if name.endswith("特別警報"):
        return "extreme"
    if name.endswith("警報") or "土砂災害" in name:
        return "severe"
    if name.endswith("注意報"):
        return "moderate"
    return None


def _warnings(body):
    """気象警報・注意報 by municipality, or 土砂災害警戒情報: what is in force in Miyagi."""
    severities, warnings, areas, details, seen = [], [], [], [], False
    for warning in body.iterfind("met:Warning", NS):
        scope = warning.get("type", "")
        if "府県予報区" in scope or "一次細分区域" in scope or "市町村等をまとめた地域" in scope:
            continue  # the same warnings, by larger areas: the municipalities say it all
        for item in warning.iterfind("met:Item", NS):
            codes = [c.strip() for c in item.xpath("met:Area/met:Code/text()", namespaces=NS)]
            names = [text(n) for n in item.xpath("met:Area/met:Name/text()", namespaces=NS)]
            if not any(_in_miyagi(c) for c in codes):
                continue
            seen = True
            for kind in item.iterfind("met:Kind", NS):
                name = text(kind.findtext("met:Name", "", NS))
                status = kind.findtext("met:Status", "", NS).strip()
                severity = _warning_severity(name)
                if severity is None or status in ("解除", "なし", ""):
                    continue
                severities.append(severity)
                warnings.append(name)
                areas.extend(names)
                details.extend((n, name) for n in names)
    return {
        "severity": _strongest(severities),
        "warnings": tuple(dict.fromkeys(warnings)),
        "areas": tuple(dict.fromkeys(areas)),
        "concerns_miyagi": seen,
        "details": tuple(details),
    }


def _earthquake(body):
    pref = next(
        (
            p
            for p in body.iterfind("seis:Intensity/seis:Observation/seis:Pref", NS)
            if p.findtext("seis:Code", "", NS).strip() == SEISMIC_PREFECTURE
        ),
        None,
    )
    if pref is None:
        return {"severity": None, "concerns_miyagi": False}
    strongest = pref.findtext("seis:MaxInt", "", NS).strip()
    severity = INTENSITY_SEVERITY.get(strongest)
    details, areas = [], []
    for area in pref.iterfind("seis:Area", NS):
        level = area.findtext("seis:MaxInt", "", NS).strip()
        if level in INTENSITY_SEVERITY:
            name = text(area.findtext("seis:Name", "", NS))
            areas.append(name)
            details.append((name, f"震度{INTENSITY_NAMES[level]}"))
    return {
        "severity": severity,
        "warnings": (f"震度{INTENSITY_NAMES[strongest]}",) if severity else (),
        "areas": tuple(areas),
        "concerns_miyagi": severity is not None,
        "details": tuple(details),
    }

"""Stored XSS through content (issue 11, item 2), tried as an attacker would.

1. A resident's answer carrying HTML and a script link goes through the real stack (the
   publishing API on the loopback DynamoDB server), is answered by staff, written into
   content by `python -m infra.tools results`, and built: the page shows the words, not the markup.
2. The same payloads written into content by hand (or by an older tool) stop the build
   with path:line, whatever obfuscation they use.
"""

import shutil
import subprocess
import sys
from datetime import datetime
from html.parser import HTMLParser

from hiroba_core.dates import JST
from tests.conftest import ROOT, make_content, run_build
from tests.functions import conftest as functions

# The real stack of the function tests (moto server, both apps, SMTP sink) as this module's
# fixtures; the names are what the tests ask for.
api, content, stack, staff_token = (
    functions.api,
    functions.content,
    functions.stack,
    functions.staff_token,
)

IMG = "<img src=x onerror=alert(1)>"
LINK = "[x](javascript:alert(1))"
LIST = "/staff/consultations/open-one/comments"


class Elements(HTMLParser):
    """Every element of a page with its attributes."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(page):
    parser = Elements()
    parser.feed(page)
    return parser.found


def run_tool(stack, *args):
    result = subprocess.run(
        [sys.executable, "-m", "infra.tools", *args],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_a_residents_markup_is_published_as_text(api, stack, staff_token, content, tmp_path):
    answer = f"{IMG}\n{LINK}\n# 見出しのつもり\n見学会 {{: onclick=alert(2)}}"
    reply = api.comment("open-one", {"answers": {"q1": answer}})
    assert reply.status == 201, reply
    token = {"Authorization": f"Bearer {staff_token()}"}
    comments = api.request("GET", LIST, headers=token).json()["comments"]
    mine = next(c for c in comments if c["receipt_number"] == reply.json()["receipt_number"])
    answered = api.request(
        "PUT",
        f"{LIST}/{mine['id']}/response",
        {"response": "ご意見として承りました。", "version": mine["version"]},
        token,
    )
    assert answered.status == 200, answered

    site = tmp_path / "content"
    shutil.copytree(content, site)
    run_tool(stack, "--content", str(site), "results", "open-one")
    now = datetime.now(JST).strftime("%Y-%m-%d %H:%M")
    result = run_build(site, tmp_path / "output", now=now)
    assert result.returncode == 0, result.stderr  # the escaped file passes the content checks

    page = (tmp_path / "output" / "consultations" / "open-one-kekka" / "index.html").read_text()
    body = page.split("<main", 1)[1]
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert LINK in body and "# 見出しのつもり" in body and "{: onclick=alert(2)}" in body
    found = elements(body)
    assert not [attrs for tag, attrs in found if any(k.startswith("on") for k in attrs)]
    assert not [a for tag, a in found if tag == "a" and "javascript" in a.get("href", "")]
    assert not [a for tag, a in found if tag == "img" and a.get("src") == "x"]
    assert "<h1" not in body.split("</h1>", 1)[1]  # the resident's # is no heading


# line in the body -> what an attacker writes; every line must be reported
ATTACKS = [
    IMG,
    LINK,
    "<IMG SRC=x OnError=alert(1)>",
    "<svg/onload=alert(1)>",
    "[申請](jav&#x09;ascript:alert(1))",
    "[申請](JaVaScRiPt:alert(1))",
    "[申請]( javascript:alert(1) )",
    "[申請][r]\n\n[r]: vbscript:msgbox(1)",
    '<a href="&#106;avascript:alert(1)">申請</a>',
    '<a href="java\tscript:alert(1)">申請</a>',
    "![県庁](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "見学会のご案内です。\n{: onmouseover=alert(1) }",
    "<script>alert(1)</script>",
    '<iframe src="https://example.com/"></iframe>',
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    '<form action="https://example.com/"><button>送信</button></form>',
    "<style>body{display:none}</style>",
]


def test_every_payload_in_content_stops_the_build_at_its_line(tmp_path):
    lines, expected, number = [], set(), 7  # the body starts on line 7
    for attack in ATTACKS:
        parts = attack.split("\n")
        # the line that carries the payload is the last one of the attack
        expected.add(number + len(parts) - 1)
        lines += [*parts, ""]
        number += len(parts) + 1
    text = (
        "Title: 意見の結果\nSlug: attack\nSummary: 結果です。\nDepartment: koho\n"
        "Date: 2026-11-01\n\n" + "\n".join(lines)
    )
    attack = make_content(tmp_path, {"consultations/results/attack-kekka.md": text})
    result = run_build(attack, tmp_path / "output")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    reported = set()
    for line in result.stderr.splitlines():
        if "attack-kekka.md:" in line and ("[raw-html]" in line or "[unsafe-url]" in line):
            reported.add(int(line.split("attack-kekka.md:", 1)[1].split(":", 1)[0]))
    assert reported == expected, result.stderr
    assert not (tmp_path / "output").exists()

"""The status inquiry forms the site builds, posted as they are, through the site's origin,
reach the procedures API and come back as pages: UTF-8 for browsers, Shift_JIS for handsets."""

import re
from html import unescape
from urllib.parse import quote_from_bytes, urlencode

from .test_procedures_api import HANDSET, Api, applied, body


def form_of(html):
    """(action, [field names]) of the page's one POST form."""
    form = re.search(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', html, re.S)
    assert form, html
    action = re.search(r'action="([^"]+)"', form.group(0)).group(1)
    names = re.findall(r'<input\b[^>]*\bname="([^"]+)"', form.group(1))
    return unescape(action), names


def test_the_feature_phone_page_form_answers_in_shift_jis(site, procedures):
    accepted = applied(procedures, body("jidosha-jusho-henko"))
    page = site.request("GET", "/m/procedures/status/")
    assert page.status == 200 and page.headers["content-type"].endswith("Shift_JIS")
    action, names = form_of(page.body.decode("cp932"))
    assert names == ["reference", "inquiry_code"]
    values = {"reference": accepted["reference"], "inquiry_code": accepted["inquiry_code"]}
    # a handset posts the page's charset: every field percent-encoded as cp932
    raw = "&".join(f"{n}={quote_from_bytes(values[n].encode('cp932'))}" for n in names).encode(
        "ascii"
    )
    # handsets send any Accept, or none; the site's origin sends the request on with the
    # Accept API Gateway needs to pass the Shift_JIS bytes (infra/edge/headers.py)
    headers = {"Content-Type": HANDSET["Content-Type"], "X-Forwarded-For": Api.client_ip()}
    direct = procedures.request("POST", "/m/inquiries", raw=raw, headers=headers)
    assert direct.status == 406  # what the app says to such a request on its own
    reply = site.request("POST", action, raw=raw, headers=headers)
    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "text/html; charset=Shift_JIS"
    text = reply.body.decode("cp932")
    assert accepted["reference"] in text and "到達" in text
    assert 'href="/m/procedures/status/"' in text  # back to the form the test started from


def test_the_site_page_form_answers_with_a_page(site, procedures):
    accepted = applied(procedures)
    page = site.request("GET", "/procedures/status/")
    assert page.status == 200
    action, names = form_of(page.body.decode("utf-8"))
    assert names == ["reference", "inquiry_code"]
    values = {"reference": accepted["reference"], "inquiry_code": accepted["inquiry_code"]}
    headers = {
        "Accept": "text/html,application/xhtml+xml",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": Api.client_ip(),
    }
    reply = site.request("POST", action, raw=urlencode(values).encode(), headers=headers)
    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    text = reply.body.decode("utf-8")
    assert accepted["reference"] in text and "到達" in text
    # a wrong code: the error summary links back to the fields of the page that was posted
    values["inquiry_code"] = "ACEFG-HJKMN"
    reply = site.request("POST", action, raw=urlencode(values).encode(), headers=headers)
    assert reply.status == 404
    for target in re.findall(r'href="/procedures/status/#([^"]+)"', reply.body.decode()):
        assert f'id="{target}"' in page.body.decode("utf-8"), target

"""Sandbox payment providers on loopback, standing in for a card acquirer and for the
Pay-easy bank network (ペイジー), for `make run` and the tests.

    /card/<id>     the acquirer's hosted card page (works without JavaScript)
    /bank/         an "ATM": enter 収納機関番号, お客様番号, 確認番号 and pay
    /v1/…          the API our app calls, authenticated with the notification signature
                   scheme (hiroba_core.payments.signing) and the shared key

Test cards (any future expiry, any 3-digit security code unless said otherwise):

    4111 1111 1111 1111   success
    4000 0000 0000 0002   declined (card_declined)
    4000 0000 0000 0069   expired card (expired_card)
    4000 0000 0000 0127   wrong security code (incorrect_cvc)
    4000 0000 0000 0119   processing error (processing_error → error)
    4000 0000 0000 3220   3-D Secure challenge: enter 123456 to pass, anything else fails

Every outcome is sent to our app as a signed notification (Hiroba-Signature), retried a few
times until it is answered 2xx; each settled payment and refund is written to the day's
settlement file (settlements/<provider>-<JST date>.csv), which reconciliation reads.

    python -m infra.local.sandbox_payments --port 8010 --key KEY --notify URL
"""

import argparse
import csv
import json
import secrets
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

from hiroba_core.dates import JST
from hiroba_core.domain.payment import is_customer_number
from hiroba_core.payments import signing

TEST_CARDS = {
    "4111111111111111": ("success", ""),
    "4000000000000002": ("declined", "card_declined"),
    "4000000000000069": ("declined", "expired_card"),
    "4000000000000127": ("declined", "incorrect_cvc"),
    "4000000000000119": ("error", "processing_error"),
    "4000000000003220": ("3ds", ""),
}
CHALLENGE_CODE = "123456"
FINAL = ("success", "declined", "error", "expired", "cancelled")
SETTLEMENT_COLUMNS = ("kind", "reference", "provider_ref", "amount", "settled_at")
RETRIES = (0.2, 0.5, 1.0, 2.0, 4.0)


def _now_iso():
    return datetime.now(UTC).isoformat(timespec="seconds")


def luhn_ok(number):
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


class Sandbox(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, key, state_dir, card_notify_url="", bank_notify_url=""):
        super().__init__(address, Handler)
        self.key = key
        self.state_dir = Path(state_dir)
        self.card_notify_url, self.bank_notify_url = card_notify_url, bank_notify_url
        self.payments, self.bills, self.lock = {}, {}, threading.Lock()
        self.sent = []  # (url, body, headers) of every notification, for replays in tests
        self.hold = False  # tests: keep notifications (send them with `release`)
        self.held = []

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------ notifications

    def notify(self, url, data):
        body = json.dumps(data, ensure_ascii=False).encode()
        if self.hold:
            self.held.append((url, body))
            return
        threading.Thread(target=self._deliver, args=(url, body), daemon=True).start()

    def release(self):
        held, self.held = self.held, []
        for url, body in held:
            self._deliver(url, body)

    def _deliver(self, url, body):
        for delay in RETRIES:
            headers = {
                "Content-Type": "application/json",
                signing.HEADER: signing.sign(self.key, body),
            }
            self.sent.append((url, body, headers))
            try:
                request = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    if 200 <= response.status < 300:
                        return
            except OSError:
                pass
            time.sleep(delay)

    def settle(self, provider, kind, reference, provider_ref, amount):
        day = datetime.now(JST).date().isoformat()
        folder = self.state_dir / "settlements"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{provider}-{day}.csv"
        with self.lock:
            new = not path.exists()
            with path.open("a", encoding="utf-8", newline="") as file:
                writer = csv.writer(file, lineterminator="\r\n")
                if new:
                    writer.writerow(SETTLEMENT_COLUMNS)
                writer.writerow([kind, reference, provider_ref, amount, _now_iso()])

    def settlement(self, provider, day):
        path = self.state_dir / "settlements" / f"{provider}-{day}.csv"
        if path.exists():
            return path.read_text("utf-8")
        return ",".join(SETTLEMENT_COLUMNS) + "\r\n"

    # ------------------------------------------------------------ card payments

    def card_outcome(self, payment, status, reason=""):
        """Move a card payment to its final status once, settle and notify."""
        with self.lock:
            if payment["status"] in FINAL:
                return False
            payment["status"], payment["reason"] = status, reason
        if status == "success":
            self.settle("card", "payment", payment["reference"], payment["id"], payment["amount"])
        self.notify(
            self.card_notify_url,
            {
                "event_id": "evt_" + secrets.token_hex(8),
                "payment": payment["id"],
                "reference": payment["reference"],
                "status": status,
                "amount": payment["amount"],
                "reason": reason,
            },
        )
        return True

    def bill_paid(self, bill):
        with self.lock:
            if bill["status"] != "started":
                return False
            bill["status"] = "success"
        self.settle("payeasy", "payment", bill["reference"], bill["customer"], bill["amount"])
        self.notify(
            self.bank_notify_url,
            {
                "event_id": "mpn_" + secrets.token_hex(8),
                "customer": bill["customer"],
                "collector": bill["collector"],
                "amount": bill["amount"],
                "status": "success",
                "paid_at": _now_iso(),
            },
        )
        return True


_STYLE = """body{font-family:sans-serif;margin:0;color:#0b0c0c;background:#f3f2f1}
header{background:#1d3557;color:#fff;padding:.8rem 1rem}main{max-width:36rem;margin:1rem auto;
background:#fff;padding:1rem 1.5rem}label{display:block;font-weight:bold;margin-top:1rem}
input{font-size:1.1rem;padding:.4rem;border:2px solid #0b0c0c;max-width:100%}
button,.link-button{margin-top:1.2rem;font-size:1.1rem;padding:.5rem 1rem;background:#00703c;
color:#fff;border:0}.secondary{background:#f3f2f1;color:#0b0c0c;border:2px solid #0b0c0c}
.error{color:#b10e1e;font-weight:bold}.hint{color:#505a5f}dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}
dt{font-weight:bold}code{font-size:1rem}"""


def page(title, body, brand):
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - {escape(brand)}</title><style>{_STYLE}</style></head>
<body><header><p>{escape(brand)} <span lang="en">(sandbox / テスト環境)</span></p></header>
<main id="main"><h1>{escape(title)}</h1>{body}</main></body></html>"""


class Handler(BaseHTTPRequestHandler):
    server: Sandbox

    def log_message(self, format, *args):
        pass

    # ------------------------------------------------------------ plumbing

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body, content_type="text/html; charset=utf-8", headers=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status, data):
        self._send(status, json.dumps(data, ensure_ascii=False), "application/json")

    def _redirect(self, url):
        self._send(303, "", headers={"Location": url})

    def _signed(self, body):
        if signing.verify([self.server.key], self.headers.get(signing.HEADER), body):
            return True
        self._json(401, {"error": "bad signature"})
        return False

    def do_GET(self):
        self._route("GET", b"")

    def do_POST(self):
        self._route("POST", self._body())

    def _route(self, method, body):
        parts = [p for p in self.path.split("?", 1)[0].split("/") if p]
        try:
            if parts[:1] == ["v1"]:
                if self._signed(body):
                    self._api(method, parts[1:], json.loads(body) if body else {})
            elif parts[:1] == ["card"] and len(parts) >= 2:
                self._card(method, parts[1], parts[2:], dict(parse_qsl(body.decode())))
            elif parts[:1] == ["bank"]:
                self._bank(method, parts[1:], dict(parse_qsl(body.decode())))
            else:
                self._send(404, page("見つかりません", "<p>Not found.</p>", "Sandbox"))
        except (KeyError, ValueError):
            self._json(400, {"error": "bad request"})

    # ------------------------------------------------------------ API

    def _api(self, method, parts, data):
        server = self.server
        if method == "POST" and parts == ["payments"]:
            pid = "pay_" + secrets.token_hex(10)
            amount = int(data["amount"])
            server.payments[pid] = {
                "id": pid,
                "reference": str(data["reference"]),
                "amount": amount,
                "description": str(data["description"]),
                "return_url": str(data["return_url"]),
                "status": "started",
                "reason": "",
                "refunded": 0,
            }
            return self._json(
                201, {"id": pid, "next_url": f"{server.url}/card/{pid}", "status": "started"}
            )
        if parts[:1] == ["payments"] and len(parts) >= 2:
            payment = server.payments[parts[1]]
            if method == "GET" and len(parts) == 2:
                return self._json(
                    200, {k: payment[k] for k in ("id", "status", "amount", "reason")}
                )
            if method == "POST" and parts[2:] == ["expire"]:
                server.card_outcome(payment, "expired")
                return self._json(200, {"id": payment["id"], "status": payment["status"]})
            if method == "POST" and parts[2:] == ["refunds"]:
                return self._refund("card", payment, data)
        if method == "GET" and parts[:1] == ["settlements"]:
            return self._send(200, server.settlement("card", parts[1]), "text/csv; charset=utf-8")
        if method == "POST" and parts == ["bills"]:
            if not is_customer_number(str(data["customer"])):
                return self._json(400, {"error": "customer number does not check"})
            server.bills[str(data["customer"])] = {
                **{
                    k: str(data[k])
                    for k in (
                        "collector",
                        "customer",
                        "confirmation",
                        "deadline",
                        "reference",
                        "description",
                    )
                },
                "amount": int(data["amount"]),
                "status": "started",
                "refunded": 0,
            }
            return self._json(201, {"customer": data["customer"], "status": "started"})
        if parts[:1] == ["bills"] and len(parts) >= 2:
            bill = server.bills[parts[1]]
            if method == "GET" and len(parts) == 2:
                return self._json(200, {"status": bill["status"], "amount": bill["amount"]})
            if method == "POST" and parts[2:] == ["expire"]:
                with server.lock:
                    if bill["status"] == "started":
                        bill["status"] = "expired"
                return self._json(200, {"status": bill["status"]})
            if method == "POST" and parts[2:] == ["refunds"]:
                return self._refund("payeasy", bill, data)
        if method == "GET" and parts[:1] == ["bank-settlements"]:
            return self._send(
                200, server.settlement("payeasy", parts[1]), "text/csv; charset=utf-8"
            )
        self._json(404, {"error": "not found"})

    def _refund(self, provider, thing, data):
        """A refund of a settled payment; the settlement file names it by our refund id."""
        amount = int(data["amount"])
        with self.server.lock:
            ok = thing["status"] == "success" and thing["refunded"] + amount <= thing["amount"]
            if ok:
                thing["refunded"] += amount
        rid = "re_" + secrets.token_hex(8)
        if ok:
            self.server.settle(provider, "refund", str(data["reference"]), rid, amount)
        return self._json(
            200, {"id": rid, "status": "success" if ok else "error", "amount": amount}
        )

    # ------------------------------------------------------------ the hosted card page

    def _card(self, method, pid, rest, form):
        payment = self.server.payments.get(pid)
        if payment is None:
            return self._send(
                404,
                page(
                    "お支払いが見つかりません",
                    "<p>このお支払いの画面はありません。</p>",
                    "Sandbox Card",
                ),
            )
        if payment["status"] in FINAL:
            return self._redirect(payment["return_url"])
        if rest == ["3ds"]:
            return self._challenge(method, payment, form)
        if method == "GET":
            return self._send(200, self._card_form(payment))
        if form.get("action") == "cancel":
            self.server.card_outcome(payment, "cancelled", "cancelled_by_payer")
            return self._redirect(payment["return_url"])
        number = "".join(ch for ch in form.get("card_number", "") if ch.isdigit())
        errors = {}
        if not (13 <= len(number) <= 19 and luhn_ok(number)):
            errors["card_number"] = "カード番号を確かめてください（Check the card number）"
        expiry = form.get("expiry", "").replace(" ", "")
        try:
            month, year = expiry.split("/")
            last = datetime(2000 + int(year), int(month), 1, tzinfo=JST)
            if (last + timedelta(days=31)).replace(day=1) <= datetime.now(JST):
                raise ValueError
        except ValueError:
            errors["expiry"] = "有効期限を 月/年（例: 12/30）で入力してください（MM/YY）"
        if not (form.get("cvc", "").isdigit() and len(form.get("cvc", "")) in (3, 4)):
            errors["cvc"] = "セキュリティコードを3桁か4桁で入力してください（3 or 4 digits）"
        if errors:
            return self._send(400, self._card_form(payment, errors, form))
        outcome, reason = TEST_CARDS.get(number, ("declined", "card_declined"))
        if outcome == "3ds":
            return self._redirect(f"{self.server.url}/card/{pid}/3ds")
        self.server.card_outcome(payment, outcome, reason)
        return self._redirect(payment["return_url"])

    def _card_form(self, payment, errors=None, form=None):
        errors, form = errors or {}, form or {}

        def field(name, label, hint, autocomplete, size):
            error = errors.get(name)
            message = f'<p class="error" id="{name}-error">{escape(error)}</p>' if error else ""
            described = f"{name}-hint" + (f" {name}-error" if error else "")
            return (
                f'<label for="{name}">{label}</label><p class="hint" id="{name}-hint">{hint}</p>{message}'
                f'<input id="{name}" name="{name}" autocomplete="{autocomplete}" inputmode="numeric"'
                f' size="{size}" aria-describedby="{described}" value="{escape(form.get(name, "")) if name != "cvc" else ""}">'
            )

        summary = ""
        if errors:
            summary = '<div role="alert"><p class="error">入力内容を確かめてください（There is a problem）</p></div>'
        body = f"""{summary}<dl><dt>お支払い先</dt><dd>宮城県</dd><dt>内容</dt><dd>{escape(payment["description"])}</dd>
<dt>金額</dt><dd>{payment["amount"]:,}円</dd></dl>
<form method="post" action="/card/{payment["id"]}" novalidate>
{field("card_number", "カード番号 <span lang='en'>Card number</span>", "16桁の数字（テスト用: 4111 1111 1111 1111）", "cc-number", 24)}
{field("expiry", "有効期限 <span lang='en'>Expiry</span>", "月/年（例: 12/30）", "cc-exp", 6)}
{field("cvc", "セキュリティコード <span lang='en'>Security code</span>", "カード裏面の3桁", "cc-csc", 5)}
<p><button type="submit" name="action" value="pay">{payment["amount"]:,}円を支払う</button></p>
<p><button class="secondary" type="submit" name="action" value="cancel">支払いをやめて戻る</button></p>
</form>"""
        return page("カードでのお支払い", body, "Sandbox Card")

    def _challenge(self, method, payment, form):
        if method == "POST":
            if form.get("action") == "cancel" or form.get("code") != CHALLENGE_CODE:
                self.server.card_outcome(payment, "declined", "authentication_failed")
            else:
                self.server.card_outcome(payment, "success")
            return self._redirect(payment["return_url"])
        body = f"""<p>カード会社による本人確認（3-Dセキュア）です。</p>
<form method="post" action="/card/{payment["id"]}/3ds" novalidate>
<label for="code">ワンタイムパスワード <span lang="en">One-time code</span></label>
<p class="hint" id="code-hint">テスト用のコードは <code>{CHALLENGE_CODE}</code> です</p>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" aria-describedby="code-hint" size="8">
<p><button type="submit" name="action" value="verify">確認する</button></p>
<p><button class="secondary" type="submit" name="action" value="cancel">やめる</button></p>
</form>"""
        return self._send(200, page("本人確認", body, "Sandbox Card 3-D Secure"))

    # ------------------------------------------------------------ the ATM (Pay-easy)

    def _bank(self, method, rest, form):
        brand = "Sandbox Bank ATM"
        if method == "GET":
            return self._send(200, self._atm_form(brand))
        bill = self.server.bills.get(form.get("customer", "").strip())
        ok = (
            bill is not None
            and form.get("collector", "").strip() == bill["collector"]
            and form.get("confirmation", "").strip() == bill["confirmation"]
        )
        if not ok:
            return self._send(
                400,
                self._atm_form(
                    brand, "番号が正しくありません（The numbers do not match a bill）", form
                ),
            )
        if bill["status"] != "started" or bill["deadline"] < _now_iso():
            return self._send(
                409,
                page(
                    "お取り扱いできません",
                    "<p>このお支払いは、期限切れか支払済みです。</p><p><a href='/bank/'>最初に戻る</a></p>",
                    brand,
                ),
            )
        if rest == ["pay"]:
            self.server.bill_paid(bill)
            body = f"""<p role="status">お支払いが完了しました。ご利用明細をお受け取りください。</p>
<dl><dt>お支払い先</dt><dd>宮城県</dd><dt>内容</dt><dd>{escape(bill["description"])}</dd><dt>金額</dt><dd>{bill["amount"]:,}円</dd></dl>
<p><a href="/bank/">最初に戻る</a></p>"""
            return self._send(200, page("お支払いが完了しました", body, brand))
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{escape(form.get(k, ""))}">'
            for k in ("collector", "customer", "confirmation")
        )
        body = f"""<dl><dt>お支払い先</dt><dd>宮城県</dd><dt>内容</dt><dd>{escape(bill["description"])}</dd>
<dt>金額</dt><dd>{bill["amount"]:,}円</dd></dl>
<form method="post" action="/bank/pay">{hidden}<p><button type="submit">現金で支払う</button></p></form>
<p><a href="/bank/">やめる</a></p>"""
        return self._send(200, page("お支払い内容の確認", body, brand))

    def _atm_form(self, brand, error="", form=None):
        form = form or {}

        def field(name, label):
            return (
                f'<label for="{name}">{label}</label>'
                f'<input id="{name}" name="{name}" inputmode="numeric" value="{escape(form.get(name, ""))}">'
            )

        message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
        body = f"""<p>「税金・各種料金の払込み（ペイジー）」です。</p>{message}
<form method="post" action="/bank/lookup" novalidate>
{field("collector", "収納機関番号 <span lang='en'>Collector number</span>")}
{field("customer", "お客様番号 <span lang='en'>Customer number</span>")}
{field("confirmation", "確認番号 <span lang='en'>Confirmation number</span>")}
<p><button type="submit">次へ</button></p></form>"""
        return page("ペイジーでのお支払い", body, brand)


def start(key, state_dir, host="127.0.0.1", port=0):
    server = Sandbox((host, port), key, state_dir)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--key", required=True)
    parser.add_argument("--state", default=".hiroba/sandbox")
    parser.add_argument("--notify", default="", help="base URL of the procedures app")
    args = parser.parse_args()
    server = Sandbox((args.host, args.port), args.key, args.state)
    if args.notify:
        server.card_notify_url = args.notify.rstrip("/") + "/payments/notifications/sandbox-card"
        server.bank_notify_url = args.notify.rstrip("/") + "/payments/notifications/payeasy"
    print(f"sandbox payments on {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

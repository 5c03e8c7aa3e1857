"""Payments benchmark: create → notify → success throughput against the local stack.

    .venv/bin/python -m bench.payments_bench [--payments 200] [--workers 8]

Starts the local stack (moto DynamoDB on loopback, the procedures app in its own process,
the sandbox card acquirer), submits one fee-bearing application per payment, then, from
`--workers` threads at once, for each: POST /payments (Idempotency-Key; the app starts the
payment with the acquirer), the card page's form with the success test card (the acquirer
then sends its signed notification to the app), and polls GET /payments/{id} until the
notification has made it `success`. Reports payments/s and the latency of each step.
"""

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

from infra.local.stack import LocalStack
from tests.functions.conftest import Api

APPLICATION = {
    "procedure": "nozei-shomei",
    "applicant": {
        "name": "宮城 花子",
        "kana": "ミヤギ ハナコ",
        "postal_code": "980-8570",
        "address": "仙台市青葉区本町三丁目8番1号",
        "phone": "022-211-2111",
    },
    "answers": {
        "tax": "自動車税（種別割）",
        "fiscal_year": "令和8年度",
        "copies": 1,
        "purpose": "自動車の継続検査（車検）",
        "delivery": "郵送",
    },
}


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def one_payment(app, sandbox, numbers, timings, lock):
    client = {"X-Forwarded-For": Api.client_ip(), "Idempotency-Key": str(uuid.uuid4())}
    start = time.perf_counter()
    data = {"kind": "application", "method": "card", **numbers}
    reply = app.request("POST", "/payments", data, client)
    while reply.status == 503:  # as a client does: again with the same key, one payment
        with lock:
            timings["retries"] += 1
        time.sleep(0.2)
        reply = app.request("POST", "/payments", data, client)
    assert reply.status in (200, 201), reply
    view = reply.json()
    created = time.perf_counter()
    page = urllib.parse.urlsplit(view["next_url"]).path
    form = urllib.parse.urlencode(
        {"card_number": "4111111111111111", "expiry": "12/30", "cvc": "123", "action": "pay"}
    ).encode()
    answer = sandbox.request(
        "POST", page, headers={"Content-Type": "application/x-www-form-urlencoded"}, raw=form
    )
    assert answer.status == 303, answer
    paid_on_card_page = time.perf_counter()
    while app.request("GET", f"/payments/{view['payment_id']}").json().get("status") != "success":
        time.sleep(0.25)  # polling shares the serialised DynamoDB server with the work
    done = time.perf_counter()
    with lock:
        timings["create"].append(created - start)
        timings["card"].append(paid_on_card_page - created)
        timings["notified"].append(done - paid_on_card_page)
        timings["total"].append(done - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as state:
        stack = LocalStack(
            state,
            env={"HIROBA_RATE_LIMIT": "1000000", "HIROBA_INQUIRY_RATE_LIMIT": "1000000"},
        ).start()
        try:
            app, sandbox = Api(stack.apps["procedures"].url), Api(stack.sandbox.url)
            applications, seeding = [], time.perf_counter()
            for _ in range(args.payments):
                reply = app.request(
                    "POST", "/applications", APPLICATION, {"X-Forwarded-For": Api.client_ip()}
                )
                made = reply.json()
                applications.append(
                    {"reference": made["reference"], "inquiry_code": made["inquiry_code"]}
                )
            seeding = time.perf_counter() - seeding
            timings = {"create": [], "card": [], "notified": [], "total": [], "retries": 0}
            lock = threading.Lock()
            started = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as pool:
                for future in [
                    pool.submit(one_payment, app, sandbox, numbers, timings, lock)
                    for numbers in applications
                ]:
                    future.result()
            elapsed = time.perf_counter() - started
        finally:
            stack.stop()
    result = {
        "payments": args.payments,
        "workers": args.workers,
        "elapsed_s": round(elapsed, 2),
        "payments_per_s": round(args.payments / elapsed, 1),
        # the machine's pace for comparison: applications received one after another
        "applications_per_s_sequential": round(args.payments / seeding, 1),
        **{
            f"{step}_ms": {
                "median": round(statistics.median(values) * 1000, 1),
                "p95": round(percentile(values, 95) * 1000, 1),
            }
            for step, values in timings.items()
            if step != "retries"
        },
        "create_retries_after_503": timings["retries"],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{args.payments} payments, {args.workers} workers: {elapsed:.1f} s,"
            f" {result['payments_per_s']} payments/s"
        )
        print(f"  creates retried after a 503: {timings['retries']}")
        print(
            f"  (reference: {result['applications_per_s_sequential']} applications/s, one at a time)"
        )
        for step in ("create", "card", "notified", "total"):
            print(
                f"  {step:9s} median {result[step + '_ms']['median']} ms,"
                f" p95 {result[step + '_ms']['p95']} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

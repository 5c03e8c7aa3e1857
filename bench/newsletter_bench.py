"""Newsletter sending benchmark: one issue to N subscribers through the SMTP sink.

    .venv/bin/python -m bench.newsletter_bench [--subscribers 10000] [--rate 0]

Starts the local stack's parts on loopback, each in a process of its own as in
production neither shares the sender's core (the DynamoDB-protocol server, the tables, an
aiosmtpd sink), writes N confirmed subscribers, then runs the real sender
(hiroba_core.services.sending) and reports messages/s and our own overhead per message:
the time outside the SMTP transport (reading the list and the records, the two writes of
each block, composing and personalising the message, pacing excluded).
"""

import argparse
import contextlib
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import botocore.exceptions
from botocore.config import Config

from hiroba_core import tokens
from hiroba_core.mail import Mailer, SmtpTransport
from hiroba_core.services import sending
from hiroba_core.settings import Settings
from hiroba_core.store import dynamo, tables
from hiroba_core.store.newsletter import (
    LIST_KEY,
    NewsletterStore,
    subscriber_key,
)
from infra.local.stack import MailSink, free_port

ROOT = Path(__file__).resolve().parents[1]


def seed(store, settings, count):
    """N confirmed subscribers, written 25 at a time (BatchWriteItem)."""
    batch = []
    for n in range(count):
        email = f"bench-{n:05d}@example.jp"
        sid = tokens.subscriber_id(settings.secret, email)
        item = {
            **subscriber_key(sid),
            "type": "subscriber",
            "email": email,
            "preferences": {"topics": ["kensei"], "frequency": "weekly", "lang": "ja"},
            "status": "confirmed",
            "version": 1,
            "gsi1pk": LIST_KEY,
            "gsi1sk": sid,
        }
        batch.append({"PutRequest": {"Item": dynamo.to_item(item)}})
        if len(batch) == 25 or n == count - 1:
            pending = {store.table: batch}
            while pending:
                pending = store.client.batch_write_item(RequestItems=pending).get(
                    "UnprocessedItems"
                )
            batch = []


class SinkProcess:
    """The SMTP sink (infra.local.stack.MailSink) in a process of its own, on a free port:
    its asyncio loop must not take the sender's interpreter lock."""

    def start(self, folder):
        self.port, self.folder = free_port(), Path(folder)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.newsletter_bench", "--sink", str(folder)]
            + ["--port", str(self.port)],
            cwd=ROOT,
        )
        _wait_for_port(self.port, "the SMTP sink")
        return self

    def messages(self):
        return sorted(self.folder.glob("*.eml"))

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def _wait_for_port(port, what):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


def run_sink(folder, port):
    sink = MailSink(folder, port).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        threading.Event().wait()
    finally:
        sink.stop()


class DatabaseProcess:
    """`python -m infra.local.dynamodb` on a free port, stopped at the end."""

    def start(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.dynamodb", "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, "the DynamoDB-protocol server")
        return self

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=0, help="messages/s (0: unpaced)")
    parser.add_argument("--workers", type=int, default=sending.WORKERS, help="SMTP connections")
    parser.add_argument("--issue", default=str(ROOT / "output/newsletter/2026-11-27-weekly"))
    parser.add_argument("--sink", help=argparse.SUPPRESS)  # run as the sink's process
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        return run_sink(args.sink, args.port)
    issue_file = Path(args.issue) / "issue.json"
    if issue_file.is_file():
        data = json.loads(issue_file.read_text("utf-8"))
    else:
        data = {
            "id": "bench",
            "subject": "【メルマガ・みやぎ】ベンチマーク号",
            "text": "本文\n%%HIROBA_MANAGE_URL%%\n%%HIROBA_UNSUBSCRIBE_URL%%\n",
            "html": None,
            "topics": ["kensei"],
            "frequency": "weekly",
        }
    data["id"] = f"bench-{int(time.time())}"
    data["topics"], data["frequency"] = ["kensei"], "weekly"
    issue = sending.Issue.from_dict(data)
    with tempfile.TemporaryDirectory() as folder:
        # the database in a process of its own, as DynamoDB is not in the sender's
        database = DatabaseProcess().start()
        sink = SinkProcess().start(Path(folder) / "mail")
        try:
            settings = Settings.from_env({"DYNAMODB_ENDPOINT": database.url})
            # moto answers a Query over 10,000 subscribers in seconds (DynamoDB in
            # milliseconds): the store's client gets a patient read timeout here
            dynamo._clients[(settings.dynamodb_endpoint, settings.region)] = boto3.client(
                "dynamodb",
                endpoint_url=settings.dynamodb_endpoint,
                region_name=settings.region,
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=Config(read_timeout=120, retries={"max_attempts": 2}),
            )
            for attempt in range(10):  # the in-process server's first answers are slow
                try:
                    tables.ensure_tables(dynamo.client(settings), settings)
                    break
                except botocore.exceptions.BotoCoreError:
                    time.sleep(1 + attempt)
            store = NewsletterStore(settings)
            started = time.perf_counter()
            seed(store, settings, args.subscribers)
            seeded = time.perf_counter() - started
            mailer = Mailer(SmtpTransport("127.0.0.1", sink.port), settings.mail_from)
            report = sending.send_issue(store, mailer, issue, rate=args.rate, workers=args.workers)
            received = len(sink.messages())
            before = time.perf_counter()
            sending.recipients(store, issue)  # timed again alone: the list's share of the run
            listing = time.perf_counter() - before
        finally:
            sink.stop()
            database.stop()
    sent = max(report.sent, 1)
    # the transport's time is summed over the workers' connections; the rest of the run
    # is ours (reading, claiming, composing) where no connection was busy, roughly
    transport = report.transport_seconds / max(args.workers, 1)
    overhead = (report.elapsed - transport - report.paced_seconds) / sent
    print(f"subscribers      {args.subscribers} (seeded in {seeded:.1f} s)")
    print(f"sent / received  {report.sent} / {received}")
    print(f"elapsed          {report.elapsed:.1f} s")
    print(f"messages/s       {report.sent / report.elapsed:.0f}")
    print(f"SMTP per message {report.transport_seconds / sent * 1000:.2f} ms on each of ", end="")
    print(f"{args.workers} connection(s)")
    print(f"our overhead     {overhead * 1000:.2f} ms per message (DynamoDB, compose), roughly")
    print(f"reading the list {listing:.2f} s (Query of the confirmed subscribers, alone)")
    return 0 if report.sent == received == args.subscribers else 1


if __name__ == "__main__":
    sys.exit(main())

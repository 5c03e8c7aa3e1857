"""Operators' payment commands (python -m infra.tools payments …):

    load-notices FILE           load the tax office's CSV of tax notices (納付番号 …) into
                                the procedures table; every wrong row as `line: message`,
                                nothing loaded then; a paid notice is never overwritten
    expire [--now ISO]          expire unfinished payments past their time (what the
                                scheduled function does every five minutes in AWS)
    reconcile --dantai C --date D [--department X] [--out FILE]
                                the day's 収納消込 CSV against the providers' settlement files
    flagged                     notifications recorded but not applied, for staff to check

The sample file infra/tools/samples/tax-notices.csv has realistic rows (自動車税（種別割）,
個人事業税, 不動産取得税 of 宮城県) whose numbers `make run` lets anyone pay in the sandbox.
"""

import sys
from datetime import datetime
from pathlib import Path

from hiroba_core import catalogue
from hiroba_core.services import payments
from hiroba_core.store.payments import PaymentsStore

SAMPLE = Path(__file__).with_name("samples") / "tax-notices.csv"


def add_arguments(sub):
    parser = sub.add_parser("payments", help="payments: tax notices, expiry, reconciliation")
    parser.add_argument("action", choices=("load-notices", "expire", "reconcile", "flagged"))
    parser.add_argument("file", nargs="?", default=str(SAMPLE))
    parser.add_argument("--now", help="ISO 8601 moment (expire), default: now")
    parser.add_argument("--dantai", default="040002")
    parser.add_argument("--date", help="JST day, YYYY-MM-DD (reconcile)")
    parser.add_argument("--department")
    parser.add_argument("--out", help="write the CSV here instead of standard output")


def run(args, settings):
    store = PaymentsStore(settings)
    if args.action == "load-notices":
        registry = catalogue.load_dantai(settings.procedures_catalogue)
        try:
            notices = payments.read_notice_rows(
                # departments are not checked: the tax office's file names its own
                Path(args.file).read_text("utf-8"),
                settings.secret,
                set(registry),
                None,
            )
        except payments.NoticeFileError as error:
            for line in str(error).splitlines():
                print(f"{args.file}:{line}", file=sys.stderr)
            return 1
        loaded, kept = payments.load_notices(store, notices)
        print(f"loaded {loaded} tax notice(s); {kept} already paid, kept as they are")
        return 0
    if args.action == "expire":
        now = datetime.fromisoformat(args.now) if args.now else None
        expired = payments.expire_due(store, now=now)
        print(f"expired {len(expired)} payment(s)")
        return 0
    if args.action == "reconcile":
        if not args.date:
            sys.exit("reconcile needs --date YYYY-MM-DD")
        rows = payments.reconcile(
            store,
            args.dantai,
            args.date,
            payments.settlement_rows(settings, args.date),
            args.department,
        )
        text = payments.reconciliation_csv(rows)
        if args.out:
            Path(args.out).write_text(text, "utf-8")
        else:
            sys.stdout.write(text)
        return 1 if any(r["result"] != "matched" for r in rows) else 0
    for item in store.flagged():
        print(item["at"], item["provider"], item["event_id"], item["reason"], item["detail"])
    return 0

import argparse
import csv
import io
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from hiroba_core import catalogue, paper_counts, tokens
from hiroba_core.content import model
from hiroba_core.dates import JST, format_jst
from hiroba_core.domain import Consultation
from hiroba_core.mail import Mailer
from hiroba_core.services import application_indicator, sending
from hiroba_core.services import indicator as indicator_service
from hiroba_core.services import staff as staff_service
from hiroba_core.settings import Settings
from hiroba_core.store import dynamo, tables
from hiroba_core.store.newsletter import NewsletterStore
from hiroba_core.store.procedures import ProceduresStore
from hiroba_core.store.publishing import PublishingStore

from . import payments as payment_tools

ROOT = Path(__file__).resolve().parents[2]

CONTENT = Path(os.environ.get("HIROBA_CONTENT", ROOT / "content"))
APPS = ("publishing", "procedures")


def read_consultations(content=CONTENT):
    """Every consultation page under content/consultations/, as domain objects."""
    found = []
    for path in sorted((content / "consultations").rglob("*.md")):
        front = model.read_front_matter(path.read_text("utf-8"))
        if model.is_consultation(front.values):
            found.append(Consultation.from_dict(model.consultation_of(front.values)))
    return found


def cmd_tables(args, settings):
    tables.ensure_tables(dynamo.client(settings), settings)
    print("tables ready:", ", ".join(t.name(settings) for t in tables.TABLES.values()))


def cmd_sync(args, settings):
    store = PublishingStore(settings)
    consultations = read_consultations(Path(args.content))
    for consultation in consultations:
        store.save_consultation(consultation)
    print(f"synced {len(consultations)} consultation(s)")


def cmd_token(args, settings):
    secret = settings.jwt_secret
    if not secret:
        sys.exit("HIROBA_JWT_SECRET is not set (make run prints the local one)")
    print(tokens.mint(secret, args.subject, args.role, args.department, args.ttl))


def cmd_results(args, settings):
    store = PublishingStore(settings)
    consultation, rows = staff_service.published_results(store, args.id)
    counts = staff_service.result_counts(store, args.id)
    text = staff_service.results_markdown(
        consultation, rows, counts, f"{datetime.now(JST):%Y-%m-%d}"
    )
    target = Path(args.content) / "consultations" / "results" / f"{consultation.id}-kekka.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")
    print(f"wrote {target}")


INDICATOR_DATA = Path("documents") / "open-data"
APPLICATION_INDICATOR = "e-application-usage"  # .json and .csv; the site's page reads the JSON


def write_application_indicator(content, settings, now):
    """The joint e-application service's indicators (applications per 団体 and procedure a
    fiscal year, the plan's annual count and online rate) as open data, JSON and CSV, from
    the procedures table and registry/paper_counts.toml; the build renders the page
    (/procedures/indicators/) from the JSON."""
    registry = content / "registry"
    procedures, dantai = catalogue.read_folder(registry)
    counts_file = registry / paper_counts.FILE_NAME
    paper = (
        paper_counts.parse(counts_file.read_text("utf-8-sig"), procedures)
        if counts_file.is_file()
        else {}
    )
    data = application_indicator.indicator(
        ProceduresStore(settings), procedures, dantai, paper, now
    )
    folder = content / INDICATOR_DATA
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{APPLICATION_INDICATOR}.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    (folder / f"{APPLICATION_INDICATOR}.csv").write_text(
        application_indicator.rows_csv(data), "utf-8"
    )
    return data


def cmd_indicator(args, settings):
    now = model.build_time(os.environ.get("HIROBA_NOW"))
    if (Path(args.content) / "registry" / catalogue.FILE_NAME).is_file():
        usage = write_application_indicator(Path(args.content), settings, now)
        print(f"wrote the e-application indicators ({len(usage['procedures'])} row(s))")
    data = indicator_service.indicator(PublishingStore(settings), now)
    content = Path(args.content)
    folder = content / INDICATOR_DATA
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "public-comment-submitters.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["案件ID", "件名", "募集開始", "募集終了", "状態", "意見提出者・団体数"])
    for row in data["consultations"]:
        writer.writerow(
            [
                row["id"],
                row["title"],
                row["opens_at"],
                row["closes_at"],
                row["state"],
                row["submitters"],
            ]
        )
    (folder / "public-comment-submitters.csv").write_text("\ufeff" + buffer.getvalue(), "utf-8")
    states = {"open": "募集中", "upcoming": "募集予定", "closed": "募集終了"}
    average = data["average_per_closed_case"]
    lines = [
        "Title: パブリックコメントの意見提出者数",
        "Slug: indicator",
        "Summary: 意見募集（パブリックコメント）の案件ごとの意見提出者・団体数と、1実施案件当たりの平均です。電子自治体推進計画の目標指標です。",
        "Department: koho",
        f"Date: {now:%Y-%m-%d}",
        "",
        "電子自治体推進計画は、パブリックコメントにおける1実施案件当たりの平均意見提出者・団体数を、"
        f"現状値の{data['baseline']}人・団体から{data['target']}人・団体に増やすことを目標としています。",
        "",
        f"募集を終えた案件は{data['closed_cases']}件で、1件当たりの平均は"
        + (f"{average}人・団体です。" if average is not None else "まだ計算できません。"),
        "",
        f"表: 案件ごとの意見提出者・団体数（{format_jst(data['generated_at'])}時点）",
        "",
        "| 案件 | 状態 | 意見提出者・団体数 |",
        "| --- | --- | ---: |",
    ]
    for row in data["consultations"]:
        lines.append(
            f"| [{row['title']}]({row['url']}) | {states[row['state']]} | {row['submitters']} |"
        )
    lines += [
        "",
        "## データのダウンロード",
        "",
        "- [意見提出者数（JSON）](/documents/open-data/public-comment-submitters.json)",
        "- [意見提出者数（CSV、UTF-8）](/documents/open-data/public-comment-submitters.csv)",
        "",
        "非表示にした迷惑な投稿は数えていません。",
    ]
    (content / "consultations").mkdir(parents=True, exist_ok=True)
    (content / "consultations" / "indicator.md").write_text("\n".join(lines) + "\n", "utf-8")
    print(f"wrote the indicator for {len(data['consultations'])} consultation(s)")


def cmd_openapi(args, settings):
    target = Path(args.content) / "documents" / "api"
    target.mkdir(parents=True, exist_ok=True)
    for app in APPS:
        source = ROOT / "functions" / app / "chalicelib" / "openapi.json"
        (target / f"{app}.openapi.json").write_text(source.read_text("utf-8"), "utf-8")
    print(f"copied {len(APPS)} OpenAPI description(s) to {target}")


def _newsletter_mailer(settings):
    mailer = Mailer.from_settings(settings)
    if mailer is None:
        sys.exit("HIROBA_MAIL is not set (smtp://host:port or ses)")
    return mailer


def _print_report(issue_id, report):
    data = report.as_dict()
    print(
        f"newsletter {issue_id}: {data['sent']} sent, {data['already']} already sent, "
        f"{data['uncertain']} uncertain, {data['failed']} refused, {data['retry']} to retry "
        f"(of {data['recipients']} recipients) in {data['elapsed']:.2f} s"
    )
    return 1 if data["retry"] or data["uncertain"] else 0


def cmd_newsletter(args, settings):
    rate = args.rate if args.rate is not None else settings.newsletter_rate
    store = NewsletterStore(settings)
    if args.action == "send":
        path = Path(args.output) / "newsletter" / args.issue / "issue.json"
        if not path.is_file():
            sys.exit(f"{path}: no such issue (build the site first)")
        issue = sending.Issue.from_dict(json.loads(path.read_text("utf-8")))
    else:  # emergency: the live 防災 emergency notices, straight to 防災 subscribers
        from pelican.settings import read_settings

        from plugins.emergency import emergency
        from plugins.newsletter import newsletter as plugin

        pelican_settings = read_settings(args.settings)
        pelican_settings = emergency.settings_with_defaults(pelican_settings)
        now = model.build_time(pelican_settings.get("HIROBA_NOW"))
        live = emergency.in_language(
            emergency.live_emergencies(pelican_settings, now), pelican_settings["DEFAULT_LANG"]
        )
        if not live:
            print("newsletter emergency: no live emergency")
            return 0
        issue_id, subject, text = plugin.emergency_mail(live, pelican_settings)
        issue = sending.Issue(issue_id, subject, text, None, ("bousai",), None)
    report = sending.send_issue(
        store,
        _newsletter_mailer(settings),
        issue,
        rate=rate,
        resend_uncertain=args.resend_uncertain,
    )
    if args.json:
        print(json.dumps({"issue": issue.id, **report.as_dict()}))
        return 1 if report.retry or report.uncertain else 0
    return _print_report(issue.id, report)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="infra.tools",
        description=sys.modules["infra.tools"].__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--content", default=str(CONTENT))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("tables")
    sub.add_parser("sync")
    token = sub.add_parser("token")
    token.add_argument("--subject", default="dev-staff")
    token.add_argument("--role", default="staff", choices=tokens.ROLES)
    token.add_argument("--department", default="koho")
    token.add_argument("--ttl", type=int, default=8 * 3600)
    results = sub.add_parser("results")
    results.add_argument("id")
    sub.add_parser("indicator")
    sub.add_parser("openapi")
    news = sub.add_parser("newsletter")
    news.add_argument("action", choices=("send", "emergency"))
    news.add_argument("issue", nargs="?", help="issue id (send), e.g. 2026-11-27-weekly")
    news.add_argument("--output", default=os.environ.get("HIROBA_OUTPUT", str(ROOT / "output")))
    news.add_argument("--settings", default=str(ROOT / "pelicanconf.py"))
    news.add_argument("--rate", type=float, default=None, help="messages per second")
    news.add_argument("--resend-uncertain", action="store_true")
    news.add_argument("--json", action="store_true")
    payment_tools.add_arguments(sub)
    args = parser.parse_args(argv)
    if args.command == "newsletter" and args.action == "send" and not args.issue:
        parser.error("newsletter send needs an issue id")
    if args.command == "newsletter" and not (
        os.environ.get("HIROBA_SECRET") or os.environ.get("HIROBA_SECRET_ID")
    ):
        # links in the mails are sealed with the apps' key: a key of this process alone
        # would mail links nobody can use
        sys.exit(
            "newsletter: set HIROBA_SECRET_ID (production) or HIROBA_SECRET"
            " (make run: HIROBA_SECRET=$(cat .hiroba/secret))"
        )
    if (
        args.command == "newsletter"
        and os.environ.get("HIROBA_SECRET_ID")
        and not os.environ.get("HIROBA_SITEURL", "").startswith("https://")
    ):
        # the production key with the development site: every link would lead to 127.0.0.1
        sys.exit("newsletter: with HIROBA_SECRET_ID, set HIROBA_SITEURL to the site (https://…)")
    settings = Settings.from_env()
    if args.command == "payments":
        return payment_tools.run(args, settings)
    return globals()[f"cmd_{args.command}"](args, settings) or 0


if __name__ == "__main__":
    sys.exit(main())

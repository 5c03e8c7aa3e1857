"""`make jma`: poll JMA's 防災情報XML feeds and publish what concerns Miyagi at once.

    python -m infra.jma [pelicanconf.py] [--once] [--feed URL ...] [--state FILE]

Every minute (or once with --once): new reports about Miyagi (津波警報・注意報, 気象特別警報・
警報・注意報, 土砂災害警戒情報, 震度4以上の地震) are written as notices in content/news/, then
published by the emergency fast path in this process, and mailed to 防災 subscribers when
HIROBA_MAIL is set. Commit the written notices: Git keeps the record (see docs/content.md).
"""

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from . import feeds, poller

DEFAULT_STATE = poller.ROOT / ".hiroba" / "jma-state.json"


POLL_MARGIN = 0.5  # seconds


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m infra.jma", description=__doc__)
    parser.add_argument("settings", nargs="?", default=str(poller.ROOT / "pelicanconf.py"))
    parser.add_argument("--feed", action="append", help="a feed URL (repeatable)")
    parser.add_argument("--state", default=str(DEFAULT_STATE))
    parser.add_argument("--once", action="store_true", help="poll once and exit")
    parser.add_argument(
        "--min-interval",
        type=float,
        default=feeds.MIN_INTERVAL,
        help="seconds between two requests for one feed (JMA asks for at least 60)",
    )
    args = parser.parse_args(argv[1:])
    urls = args.feed or list(feeds.FEEDS)
    # Faster polling is for the loopback fixtures only: JMA asks every client for a minute.
    remote = [u for u in urls if urlsplit(u).hostname not in ("127.0.0.1", "localhost", "::1")]
    if remote and args.min_interval < feeds.MIN_INTERVAL:
        parser.error(
            f"--min-interval {args.min_interval:g} は気象庁のフィードには使えません "
            f"(JMA asks for at least {feeds.MIN_INTERVAL} s): {remote[0]}"
        )
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    content = Path(os.environ.get("HIROBA_CONTENT", poller.ROOT / "content"))
    while True:
        started = time.monotonic()
        lines, _, code = poller.run_once(
            urls, args.state, content, args.settings, min_interval=args.min_interval
        )
        print("\n".join(line for line in lines if line), flush=True)
        if args.once:
            return code
        # poll() measures the interval by the wall clock from a moment a little after
        # `started`: without the margin it can find 59.99 s and skip a whole minute
        time.sleep(max(0.0, args.min_interval - (time.monotonic() - started)) + POLL_MARGIN)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The accessibility gate: axe-core in headless Debian Chromium on every page of a built site.

Used by the browser tests (tests/browser/) and by `make a11y-report`. Pages are served
over HTTP on loopback, one browser is reused for every page and width.
"""

import socket
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from hiroba_core import security_headers

ROOT = Path(__file__).resolve().parents[2]

AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (1280, 375)
REFLOW_WIDTH = 320
# pages a keyboard user is walked through: one of each template
KEYBOARD_PAGES = ["/", "/news/", "/policy/online-tetsuzuki/", "/municipalities/", "/search/"]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = (
    "Chromium and chromedriver are needed: as root, `apt-get install chromium chromium-driver` "
    "(make test does this); axe-core comes from `npm ci`."
)


class BrowserMissing(RuntimeError):
    pass


@dataclass(frozen=True, order=True)
class Finding:
    """One axe violation on one element of one page at one width."""

    url: str
    width: int
    rule: str
    impact: str
    target: str
    help: str

    def __str__(self):
        return (
            f"{self.url} [{self.width}px] {self.rule} ({self.impact}): {self.target} — {self.help}"
        )


def html_pages(site):
    """Every generated HTML page of the site, as URL paths ('/news/x/')."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site)
        if relative.parts[0] in ("pagefind", "m"):
            continue  # ポケットみやぎ (/m/) is the feature-phone version, with its own checks
        if relative.parts[0] == "admin":
            # the web editor (Decap CMS) is a third-party application for staff, not a
            # page of the site; its accessibility is Decap's (docs/web-editor.md)
            continue
        url = "/" + relative.as_posix()
        pages.append(url[: -len("index.html")] if url.endswith("/index.html") else url)
    return pages


class QuietHandler(SimpleHTTPRequestHandler):
    """The site as production serves it to a browser: with the security headers, so a page
    the Content-Security-Policy would break fails the gate (csp_violations)."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".vtt": "text/vtt"}

    def end_headers(self):
        for name, value in security_headers.for_path(self.path).items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format, *args):
        pass


@contextmanager
def serve(site):
    """Serve a folder on a free loopback port; yields the base URL."""
    handler = partial(QuietHandler, directory=str(site))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


def start_browser():
    """Headless Debian Chromium through chromedriver; fails loudly when either is missing."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            raise BrowserMissing(f"{binary} not found. {INSTALL_HINT}")
    if not AXE_SCRIPT.exists():
        raise BrowserMissing(f"{AXE_SCRIPT} not found. {INSTALL_HINT}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # the console, where Chromium reports what the Content-Security-Policy blocked
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--mute-audio",
        "--lang=ja",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def csp_violations(driver):
    """What the Content-Security-Policy blocked since the last call, as Chromium's console
    reports it ('security' entries: inline script or style, a script from elsewhere, eval).
    Reading the log empties it, so each call covers the pages loaded in between."""
    return [
        entry["message"] for entry in driver.get_log("browser") if entry.get("source") == "security"
    ]


def set_width(driver, width, height=900):
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def preload_axe(driver):
    """Load axe-core into every document the browser opens (once, not per page)."""
    if getattr(driver, "hiroba_axe_preloaded", False):
        return
    driver.hiroba_axe_preloaded = True
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": AXE_SCRIPT.read_text("utf-8")}
    )


def axe_findings(driver, url, width):
    """Run axe on the page loaded in the driver; one Finding per violating element."""
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(r => done({violations: r.violations, passes: r.passes.map(p => p.id),"
        " incomplete: r.incomplete.map(p => p.id)})).catch(e => done({error: String(e)}));",
        AXE_TAGS,
    )
    if "error" in result:
        raise RuntimeError(f"axe failed on {url}: {result['error']}")
    findings = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            findings.append(
                Finding(
                    url=url,
                    width=width,
                    rule=violation["id"],
                    impact=violation.get("impact") or "",
                    target=" ".join(map(str, node["target"])),
                    help=violation["help"],
                )
            )
    return findings, result["passes"], result["incomplete"]


def horizontal_overflow(driver):
    """How many CSS pixels the page is wider than the viewport (0 when it reflows)."""
    return driver.execute_script(
        "return Math.max(0, document.documentElement.scrollWidth - window.innerWidth);"
    )


@dataclass
class Audit:
    findings: list
    reflow_failures: list  # [(url, overflow px)]
    rules_passed: set
    rules_incomplete: set
    pages: list
    csp_violations: list = field(default_factory=list)  # console messages, page URL first

    def to_dict(self):
        return {
            "findings": [asdict(f) for f in sorted(self.findings)],
            "reflow_failures": self.reflow_failures,
            "csp_violations": self.csp_violations,
            "rules_passed": sorted(self.rules_passed),
            "rules_incomplete": sorted(self.rules_incomplete),
            "pages": self.pages,
        }


def audit(driver, base_url, pages, widths=WIDTHS, reflow=True):
    """axe at every width on every page, plus the 320 px reflow check: one load a page.
    Whatever the Content-Security-Policy blocked on the way is in `csp_violations`."""
    findings, reflow_failures, passed, incomplete, blocked = [], [], set(), set(), []
    driver.set_script_timeout(60)
    preload_axe(driver)
    csp_violations(driver)  # what earlier pages left in the console is not ours
    for page in pages:
        set_width(driver, widths[0] if widths else REFLOW_WIDTH)
        driver.get(base_url + page)
        for index, width in enumerate(widths):
            if index:
                set_width(driver, width)
            page_findings, page_passed, page_incomplete = axe_findings(driver, page, width)
            findings += page_findings
            passed.update(page_passed)
            incomplete.update(page_incomplete)
        if reflow:
            set_width(driver, REFLOW_WIDTH)
            overflow = horizontal_overflow(driver)
            if overflow > 0:
                reflow_failures.append((page, overflow))
        blocked += csp_violations(driver)  # ~1 ms a page
    failed_rules = {f.rule for f in findings}
    return Audit(findings, reflow_failures, passed - failed_rules, incomplete, list(pages), blocked)


FOCUS_STATE = """
const el = document.activeElement;
const style = getComputedStyle(el);
const rect = el.getBoundingClientRect();
return {
  tag: el.tagName, id: el.id, cls: String(el.className),
  text: (el.textContent || '').trim().slice(0, 30),
  visible: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
    || style.boxShadow !== 'none',
  inView: rect.bottom > 0 && rect.top < window.innerHeight
    && rect.right > 0 && rect.left < window.innerWidth,
};
"""


def keyboard_problems(driver, base_url, page, width=1280, limit=400):
    """Tab through a page: the skip link comes first and moves focus to main, and every
    focused element shows a visible indicator and is on screen. Returns the problems."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    set_width(driver, width)
    driver.get(base_url + page)
    keys = ActionChains(driver)
    keys.send_keys(Keys.TAB).perform()
    first = driver.execute_script(FOCUS_STATE)
    problems = []
    if first["cls"] != "hiroba-skip-link" or not first["inView"]:
        problems.append(f"{page}: the first Tab does not show the skip link: {first}")
    keys.send_keys(Keys.ENTER).perform()
    if driver.execute_script("return document.activeElement.id") != "main":
        problems.append(f"{page}: the skip link does not move focus to main")
    visited = 0
    for _ in range(limit):
        keys.send_keys(Keys.TAB).perform()
        focused = driver.execute_script(FOCUS_STATE)
        if focused["tag"] == "BODY":
            break
        visited += 1
        if not focused["visible"]:
            problems.append(f"{page}: focus is not visible on {focused}")
        if not focused["inView"]:
            problems.append(f"{page}: the focused element is off screen: {focused}")
    if visited < 3:
        problems.append(f"{page}: only {visited} elements take focus")
    return problems


def rule_tags(driver):
    """axe rule id -> its tags (wcag111, wcag2aa, ...), for the rules the gate runs."""
    rules = driver.execute_script("return axe.getRules(arguments[0]);", AXE_TAGS)
    return {rule["ruleId"]: rule["tags"] for rule in rules}


def versions(driver):
    return {
        "browser": f"{driver.capabilities.get('browserName')} "
        f"{driver.capabilities.get('browserVersion')}",
        "axe-core": driver.execute_script("return axe.version;"),
    }

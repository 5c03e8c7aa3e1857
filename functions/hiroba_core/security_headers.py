"""The security headers every response carries: the site's pages, the apps' pages and JSON.

One definition, read by the Chalice apps (hiroba_web), the development server
(infra/local) and the CloudFront response headers policy (infra/aws/site.py), so the
browser tests run under the same policy that production sends.
"""

import re

# No inline script or style anywhere: the site's scripts are files under /theme/js/.
# Pagefind compiles its WebAssembly index in the browser, hence 'wasm-unsafe-eval'.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# The web editor under /admin/ (Decap CMS, a third-party React application, for staff) cannot
# run under the site's policy: it compiles its configuration schema with `new Function`
# (ajv, hence 'unsafe-eval'), inserts its styles as <style> elements at run time (emotion,
# hence style-src 'unsafe-inline'), previews uploaded images from blob: URLs, and talks to
# GitHub's API and to the OAuth client's window in production. Only /admin/ gets this.
ADMIN_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https://avatars.githubusercontent.com",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self' blob: https://api.github.com",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ADMIN_PREFIX = "/admin/"


# Two years, as the HSTS preload list asks; the site is served over HTTPS only.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}

# ポケットみやぎ (/m/) colours its banner and header with style attributes: the feature
# phones it is written for read no style sheet. Only attributes are allowed, never a
# <style> element, and script stays as strict as on the rest of the site.
MOBILE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self'; style-src-attr 'unsafe-inline'"
)
MOBILE_SECURITY_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": MOBILE_CONTENT_SECURITY_POLICY,
}
MOBILE_ROOT = "/m/"
ADMIN_SECURITY_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": ADMIN_CONTENT_SECURITY_POLICY,
}


# The attachments page (functions/procedures, routes/attachments.py) is the one page whose
# forms post elsewhere: each file goes straight to the private bucket with a presigned POST
# (no script, no file through the apps). Its policy is the site's with that one origin added
# to form-action; S3 then sends the browser back to the site ('self').
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def with_form_action(origin):
    """The site's policy, whose forms may also post to `origin` (scheme://host[:port])."""
    if not _ORIGIN.match(origin or ""):
        raise ValueError(f"not an origin: {origin!r}")
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")


def widens_only_form_action(policy):
    """Whether `policy` is the site's with one origin added to form-action (with_form_action),
    the only change an app's answer may make to the site's policy."""
    start = CONTENT_SECURITY_POLICY.index("form-action 'self'") + len("form-action 'self'")
    head, tail = CONTENT_SECURITY_POLICY[:start], CONTENT_SECURITY_POLICY[start:]
    if not (policy.startswith(head + " ") and policy.endswith(tail)):
        return False
    origin = policy[len(head) + 1 : len(policy) - len(tail)]
    return bool(_ORIGIN.match(origin))


def for_path(path):
    """The headers of the answer at a site path: the feature-phone policy under /m/, the
    web editor's under /admin/, the site's everywhere else."""
    path = path.split("?", 1)[0]
    if path.startswith(MOBILE_ROOT):
        return MOBILE_SECURITY_HEADERS
    if path == ADMIN_PREFIX.rstrip("/") or path.startswith(ADMIN_PREFIX):
        return ADMIN_SECURITY_HEADERS
    return SECURITY_HEADERS


def content_security_policy(path):
    """The policy for a request path (see for_path)."""
    return for_path(path)["Content-Security-Policy"]

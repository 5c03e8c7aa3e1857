"""The security headers every response carries: the site's pages, the apps' pages and JSON.

One definition, read by the Chalice apps (hiroba_web), the development server
(infra/local) and the CloudFront response headers policy (infra/aws/site.py), so the
browser tests run under the same policy that production sends.
"""

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


def content_security_policy(path):
    """The policy for a request path: the web editor's under /admin/, the site's elsewhere."""
    if path == ADMIN_PREFIX.rstrip("/") or path.startswith(ADMIN_PREFIX):
        return ADMIN_CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY


# Two years, as the HSTS preload list asks; the site is served over HTTPS only.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}

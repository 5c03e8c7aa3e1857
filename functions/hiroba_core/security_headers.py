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


def for_path(path):
    """The headers of the answer at a site path: the feature-phone policy under /m/."""
    return MOBILE_SECURITY_HEADERS if path.startswith(MOBILE_ROOT) else SECURITY_HEADERS

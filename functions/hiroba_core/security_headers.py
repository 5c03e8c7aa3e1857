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

"""A browser without JavaScript, for the console's tests: cookies, forms, redirects."""

import html
import http.client
import re
from urllib.parse import urlencode, urlsplit

from infra.local import cognito


class Page:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.text = status, headers, body.decode("utf-8", "replace")

    @property
    def location(self):
        return dict(self.headers).get("Location", "")

    def csrf(self):
        found = re.search(r'name="csrf" value="([^"]+)"', self.text)
        return html.unescape(found.group(1)) if found else ""

    def cookies(self):
        return [v for k, v in self.headers if k.lower() == "set-cookie"]

    def __repr__(self):
        return f"<Page {self.status} {self.location} {self.text[:400]!r}>"


class Console:
    def __init__(self, base):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.jar = {}

    def request(self, method, path, form=None, headers=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        sent = {"Accept": "text/html", "Sec-Fetch-Site": "same-origin", **(headers or {})}
        if self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, sent)
        response = connection.getresponse()
        page = Page(response.status, response.getheaders(), response.read())
        connection.close()
        for header in page.cookies():
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return page

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, form, **kwargs):
        return self.request("POST", path, form, **kwargs)

    def sign_in(self, username, password, attempts=3):
        page = self.post("/staff/sign-in", {"username": username, "password": password})
        assert page.status == 303, page
        for _ in range(attempts):  # a code read at the edge of its 30 seconds
            page = self.post("/staff/sign-in/code", {"code": cognito.code()})
            if page.status == 303:
                return page
        raise AssertionError(page)

    def act(self, path, form, from_page):
        """Post a form of the console with the CSRF token the page carried."""
        return self.post(path, {"csrf": self.get(from_page).csrf(), **form})

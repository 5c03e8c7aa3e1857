"""Browser fixtures: one headless Chromium per test worker, the real site served on loopback."""

import pytest

from infra.a11y import gate


@pytest.fixture(scope="session")
def browser():
    try:
        driver = gate.start_browser()
    except gate.BrowserMissing as missing:
        pytest.fail(str(missing))  # never a silent skip: CI must have a browser
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def nothing_blocked_by_the_content_security_policy(request):
    """Every browser test runs under the production Content-Security-Policy (gate.serve and
    the development server send it): whatever it blocked during the test fails the test."""
    names = [n for n in ("browser", "browser_without_script") if n in request.fixturenames]
    drivers = [request.getfixturevalue(name) for name in names]
    for driver in drivers:
        gate.csp_violations(driver)
    yield
    blocked = [message for driver in drivers for message in gate.csp_violations(driver)]
    assert not blocked, "blocked by the Content-Security-Policy:\n" + "\n".join(blocked)


@pytest.fixture(scope="session")
def site_url(site):
    with gate.serve(site) as base:
        yield base

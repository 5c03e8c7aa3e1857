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


@pytest.fixture(scope="session")
def site_url(site):
    with gate.serve(site) as base:
        yield base

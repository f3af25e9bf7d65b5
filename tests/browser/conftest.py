"""Headless Chromium (Debian's ``chromium``) driven by Playwright against a live server.

Playwright's own browser download is not used: the system Chromium is launched
through ``executable_path``. A missing Chromium fails the tests (the test
command installs it); it is never a skip.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# The documentation's screenshots are retaken with JOBS_UPDATE_SCREENSHOTS=1; other runs
# save theirs outside the source tree.
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"
SCREENSHOTS = (
    DOCS_IMAGES
    if os.environ.get("JOBS_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "django-jobs-screenshots"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module; Playwright's event loop ends with it."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: run .ci/setup (it installs Debian's chromium)")
    # Playwright's sync API keeps an event loop running in this thread while it is open;
    # the tests' own ORM calls are still synchronous, so Django's async-safety guard is
    # lifted until the browser closes, and only then.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def log_in(page: Page, base_url: str, username: str, password: str = "pw") -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

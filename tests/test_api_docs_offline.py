"""/docs (Swagger UI) and /redoc (ReDoc) render in Debian's chromium with every request to
another host refused, as on a machine without internet or where CDNs are unreachable. The
browser reaches the server under a non-loopback name (qinglang.test, mapped to 127.0.0.1) so
that Swagger UI behaves as it does on a real deployment."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from api_server import running
from playwright.sync_api import Page, expect
from ui_site import SHOTS

from api import create_app
from monitor.settings import Settings

HOST = "qinglang.test"  # the shared browser maps it to 127.0.0.1 (conftest.py)
LOADING_MS = 60_000  # a wait, not a speed goal: megabyte scripts on a busy shared machine


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory):
    path = tmp_path_factory.mktemp("docs") / "q.db"
    with running(create_app(path, Settings(db=str(path)))) as base:
        yield base.replace("127.0.0.1", HOST)


def _offline_page(browser, base: str) -> tuple[Page, list[str]]:
    """A page whose requests to any host but the server are aborted and listed."""
    context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 900})
    refused: list[str] = []

    def only_the_server(route) -> None:
        if urlsplit(route.request.url).hostname in (HOST, "127.0.0.1"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_server)
    return context.new_page(), refused


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_swagger_ui_renders_the_operations_without_any_other_host(browser, docs_site):
    page, refused = _offline_page(browser, docs_site)
    page.goto("/docs")
    check = page.locator(".opblock-post", has_text="/v1/check").first
    expect(check).to_be_visible(timeout=LOADING_MS)
    assert page.locator(".opblock").count() > 20
    check.locator(".opblock-summary").click()  # an operation opens with its request body
    expect(check.locator(".opblock-body")).to_contain_text("text")
    page.wait_for_load_state("networkidle")
    shot(page, "docs-swagger-offline")
    assert refused == []


def test_redoc_renders_the_reference_without_any_other_host(browser, docs_site):
    page, refused = _offline_page(browser, docs_site)
    page.goto("/redoc")
    expect(page.locator("h1").first).to_contain_text("qinglang", timeout=LOADING_MS)
    expect(page.locator("[data-section-id^='tag/anchors']").first).to_be_attached()
    expect(page.get_by_text("/v1/anchors/{anchor_id}/eligibility").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    shot(page, "docs-redoc-offline")
    assert refused == []


def test_docs_pages_use_the_local_favicon(browser, docs_site):
    page, refused = _offline_page(browser, docs_site)
    for path in ("/docs", "/redoc"):
        page.goto(path)
        icon = page.locator("link[rel='shortcut icon']").get_attribute("href")
        assert icon.startswith("/")
        response = httpx.get(docs_site.replace(HOST, "127.0.0.1") + icon)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/x-icon"
    assert refused == []

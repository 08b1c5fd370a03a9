"""Browser hardening (issue 13 §6) in Debian's chromium against a real uvicorn server: every page
answers with the security headers, renders under the enforced Content-Security-Policy without a
single violation, and cannot be framed by a page of another origin on the same host."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import Page
from ui_site import open_page

from api.core.security_headers import CONTENT_SECURITY_POLICY, REDOC_CONTENT_SECURITY_POLICY

# Every page a user reaches, by who sees it (None: no login).
PAGES = {
    None: ["/", "/public", "/ui/login", "/docs", "/redoc", "/ui/no-such-page"],
    "regulator": [
        "/ui/review", "/ui/decisions", "/ui/anchors", "/ui/anchors/A1", "/ui/anchors/A1/streams",
        "/ui/streams", "/ui/streams/S1", "/ui/live", "/ui/workshops", "/ui/self-check",
    ],
    "anchor": ["/ui/self-check", "/ui/anchors/A1", "/ui/streams", "/ui/live"],
}  # fmt: skip
WAIT_MS = 60_000  # a wait, not a speed goal: Swagger UI and ReDoc are megabyte scripts
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _watched(page: Page) -> list[str]:
    """Console messages about the Content-Security-Policy on `page`, as they come."""
    page.add_init_script(_RECORD_VIOLATIONS)
    seen: list[str] = []
    page.on(
        "console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None
    )
    return seen


@pytest.mark.parametrize("who", list(PAGES))
def test_every_page_renders_under_the_csp_without_a_violation(browser, site, who):
    page = open_page(browser, site, site["keys"][who] if who else None)
    console = _watched(page)
    for path in PAGES[who]:
        response = page.goto(path)
        policy = REDOC_CONTENT_SECURITY_POLICY if path == "/redoc" else CONTENT_SECURITY_POLICY
        assert response.headers["content-security-policy"] == policy, path
        page.wait_for_load_state("networkidle", timeout=WAIT_MS)
        if path == "/docs":
            page.locator(".opblock").first.wait_for(timeout=WAIT_MS)
        if path == "/redoc":
            page.locator("[data-section-id^='tag/']").first.wait_for(
                state="attached", timeout=WAIT_MS
            )
        violations = page.evaluate("window.__cspViolations")
        assert violations == [] and console == [], (path, violations, console)
    page.context.close()


def test_security_headers_are_on_pages_api_answers_and_errors(site):
    with httpx.Client(base_url=site["base"]) as client:
        bearer = {"Authorization": f"Bearer {site['keys']['regulator']}"}
        for response in (
            client.get("/ui/review", headers=bearer),  # a redirect to the login page
            client.get("/v1/flags", headers=bearer),
            client.get("/v1/flags"),  # 401
            client.post("/v1/check", json={}, headers=bearer),  # 422
        ):
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            assert response.headers["cache-control"] == "no-store", response.request.url
        assert client.get("/ui/static/app.css").headers["cache-control"].startswith("public")


@contextmanager
def _framing_site(target: str) -> Iterator[str]:
    """A second loopback server (another origin: another port) whose page frames `target`."""
    html = f'<!doctype html><h1>framer</h1><iframe id="framed" src="{target}"></iframe>'.encode()

    class Framer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Framer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_review_queue_is_not_rendered_inside_another_origins_frame(browser, site):
    page = open_page(browser, site, site["keys"]["regulator"])  # logged in: the cookie would go
    with _framing_site(f"{site['base']}/ui/review") as framer:
        page.goto(framer)
        page.wait_for_load_state("networkidle")
        frame = page.frame_locator("#framed")
        page.wait_for_timeout(500)  # let a (wrongly) allowed frame paint
        assert frame.locator("#queue-filters").count() == 0
        assert page.locator("h1").inner_text() == "framer"
    page.context.close()


def test_a_self_check_result_swapped_in_by_htmx_breaks_no_csp_rule(browser, site):
    page = open_page(browser, site, site["keys"]["anchor"])
    console = _watched(page)
    page.goto("/ui/self-check")
    page.fill("#script", "这款杨梅是最好吃的，原价199现在只要39，吃了能降血压。")
    page.click("#check-button")
    page.locator("#checked-text > mark.hit").first.wait_for()
    assert page.evaluate("window.__cspViolations") == [] and console == []
    page.context.close()

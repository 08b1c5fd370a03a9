"""Real evidence files for the appeal tests, made by Debian's chromium (headless) the way an anchor
would make them: a test report printed to PDF, a certificate captured as PNG, an invoice as JPEG.
Also a web page saved under a PDF name, which is not evidence whatever its name says."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

_PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<body style="font-family: 'WenQuanYi Micro Hei', sans-serif; padding: 24px">{}</body></html>"""
REPORT = _PAGE.format(
    "<h1>检验检测报告</h1><p>样品名称：梁弄杨梅干</p><p>检测项目：二氧化硫残留量 未检出</p>"
    "<p>报告编号：ZJ-2026-0412 · 宁波市食品检验检测研究院</p>"
)
CERTIFICATE = _PAGE.format(
    "<h1>有机产品认证证书</h1><p>证书编号：123OP2600001</p><p>认证产品：四明山高山云雾茶</p>"
)
INVOICE = _PAGE.format("<h1>增值税普通发票</h1><p>货物名称：杨梅 50 kg · 金额 ¥ 1,500.00</p>")


def make_samples(browser: Browser, folder: Path) -> dict[str, Path]:
    """`report` (PDF), `certificate` (PNG), `invoice` (JPEG) and `disguised` (HTML named .pdf),
    written into `folder` under the Chinese names an anchor would give them."""
    folder.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 640, "height": 360})
    samples = {
        "report": folder / "检测报告.pdf",
        "certificate": folder / "有机认证证书.png",
        "invoice": folder / "发票.jpg",
        "disguised": folder / "发票扫描件.pdf",
    }
    page.set_content(REPORT)
    page.pdf(path=samples["report"], format="A5")
    page.set_content(CERTIFICATE)
    page.screenshot(path=samples["certificate"])
    page.set_content(INVOICE)
    page.screenshot(path=samples["invoice"], type="jpeg", quality=80)
    samples["disguised"].write_text(INVOICE, encoding="utf-8")
    page.close()
    return samples

"""The printable HTML as a PDF, printed by a headless Chromium (through Playwright).

Chromium's print engine is what a sales person would use by hand ("Print to PDF"), so the PDF
looks like the page; a Python PDF library would need its own layout of the same tables.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


class PdfError(Exception):
    """No browser to print with, or printing failed."""


def find_chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError(f"no Chromium found (looked for {', '.join(CHROMIUM_NAMES)} on PATH)")


def write_pdf(html: str, path: Path, chromium: str | None = None) -> Path:
    """Print ``html`` to ``path`` (A4, backgrounds kept)."""
    executable = chromium or find_chromium()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable)
            try:
                page = browser.new_page()
                page.set_content(html, wait_until="load")
                page.pdf(path=str(path), format="A4", print_background=True)
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfError(f"printing {path.name} with {executable} failed: {exc}") from exc
    return path

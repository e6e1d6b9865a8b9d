"""In a real browser: a chart's PNG and SVG, a table's XLSX, and the month's infographic and pack download
from the running dashboard (the buttons render the files on the click)."""
import io
import os

import pytest

from test_browser import CHROMIUM, server, wait_for_run  # noqa: F401  (the module's dashboard fixture)

pytestmark = pytest.mark.browser


def download(page, name: str, nth: int = 0) -> bytes:
    """Click the named download button and return the file. The button is waited for (an expander may
    still be opening) and clicked once more if the first click came before Streamlit wired it up."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    button = page.get_by_role("button", name=name).nth(nth)
    button.wait_for(state="visible", timeout=120_000)
    for attempt in range(2):
        try:
            with page.expect_download(timeout=60_000 * (attempt + 1)) as info:
                button.click()
            break
        except PlaywrightTimeout:
            if attempt:
                raise
    with open(info.value.path(), "rb") as fh:
        return fh.read()


def test_chart_images_tables_and_monthly_files_download(server):  # noqa: F811
    from PIL import Image
    from playwright.sync_api import sync_playwright
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: bash scripts/setup.sh installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page.goto(f"{server}/trends", timeout=180_000)
        wait_for_run(page)
        png = download(page, "PNG image")
        img = Image.open(io.BytesIO(png))
        assert img.format == "PNG" and img.size[0] == 2200      # 1100 CSS pixels at 2x
        assert download(page, "SVG image").lstrip().startswith(b"<svg")
        page.get_by_text("Data table").first.click()
        xlsx = download(page, "Download XLSX")
        import openpyxl
        assert openpyxl.load_workbook(io.BytesIO(xlsx)).active.max_row > 1

        page.goto(f"{server}/publish", timeout=180_000)
        wait_for_run(page)
        pdf = download(page, "Infographic (PDF)")
        assert pdf.startswith(b"%PDF")
        pptx = download(page, "Slide pack (PowerPoint)")
        from pptx import Presentation
        assert len(Presentation(io.BytesIO(pptx)).slides) == 8
        assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()

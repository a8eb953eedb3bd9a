"""The page in a real headless browser (Playwright driving Debian's Chromium): fill the form with a
SMILES, wait for the table, find the side effect the model ranks first, and screenshot the page.

LLMPREDGRAPH_PAGE_MODEL=DIR drives another model folder (the README's screenshot: the shipped cold
model and ibuprofen), LLMPREDGRAPH_SCREENSHOT=FILE keeps the screenshot there."""

import os
import shutil
from pathlib import Path

import pytest

from llmpredgraph.pipeline.loading import load_predictor

from .test_serve import IBUPROFEN, start

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (apt-get install chromium)")
def test_the_page_predicts_in_a_browser(model_dir, tmp_path):
    folder = Path(os.environ.get("LLMPREDGRAPH_PAGE_MODEL") or model_dir)
    shot = Path(os.environ.get("LLMPREDGRAPH_SCREENSHOT") or tmp_path / "page.png")
    pipe = load_predictor(folder)
    p = pipe.predict_molecules([IBUPROFEN])["assoc"][0]
    expected = pipe.support.se_names[int(p.argmax())]
    srv, thread, _ = start(folder)
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"])
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(srv.url + "/")
            page.fill("#query", IBUPROFEN)
            page.fill("#top", "8")
            page.click("#submit")
            page.wait_for_selector("table.ranked", timeout=60_000)
            first = page.inner_text("table.ranked tr:nth-child(2) td:nth-child(2)")
            assert first == expected
            assert page.locator("table.ranked tr").count() == 9  # header + 8 side effects
            assert page.get_attribute("#download", "href").startswith("data:text/csv;base64,")
            page.screenshot(path=str(shot), full_page=False)
            browser.close()
    finally:
        srv.stop()
        thread.join(10)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:4] == b"\x89PNG"

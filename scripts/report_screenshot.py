"""Write a `predict --report` page for one molecule and screenshot it in headless Chromium (the check
that the page renders in a real browser; `apt-get install chromium-headless-shell` on Debian).

    python scripts/report_screenshot.py --model models/default --name oxymorphone \
        --smiles "CN1CC[C@]23c4c5ccc(O)c4O[C@H]2C(=O)CC[C@@]3(O)[C@H]1C5" --out docs/report_example
writes docs/report_example.html and docs/report_example.png."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--smiles", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--out", default="docs/report_example", help="path without suffix: OUT.html and OUT.png")
    ap.add_argument("--size", default="1280,1700", help="browser window (the screenshot), width,height")
    a = ap.parse_args()
    browser = next((b for b in map(shutil.which, BROWSERS) if b), None)
    if browser is None:
        sys.exit("no headless Chromium found: apt-get install chromium-headless-shell")
    html, png = Path(a.out).with_suffix(".html"), Path(a.out).with_suffix(".png")
    cmd = [sys.executable, "-m", "llmpredgraph", "predict", "--model", a.model, "--smiles", a.smiles]
    cmd += ["--name", a.name, "--top", str(a.top), "--report", str(html), "--out", str(Path(a.out).with_suffix(".csv"))]
    subprocess.run(cmd, check=True)
    Path(a.out).with_suffix(".csv").unlink()
    shot = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={a.size}"]
    subprocess.run([*shot, f"--screenshot={png.resolve()}", html.resolve().as_uri()], check=True, capture_output=True)
    print(f"wrote {html} and {png}")


if __name__ == "__main__":
    main()

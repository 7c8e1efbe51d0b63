"""Remake the README's pictures of the explorer (needs Panel, Playwright and chromium).

    python docs/explorer_screenshots.py

Starts ``ccdsim explore`` on a free local port, loads it in headless Chromium
and saves docs/images/explorer.png and docs/images/explorer_components.png.
"""

import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
IMAGES = Path(__file__).parent / "images"


def main():
    proc = subprocess.Popen([sys.executable, "-m", "ccdsim", "explore", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        url = re.search(r"(http://\S+/)", proc.stdout.readline()).group(1)
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            page = browser.new_page(viewport={"width": 1420, "height": 1350})
            page.goto(url)
            page.locator("[data-q=mean-measured]").wait_for(timeout=60_000)
            page.wait_for_timeout(1500)  # let every plot draw
            page.screenshot(path=IMAGES / "explorer.png", clip=dict(x=0, y=0, width=1420, height=640))
            top = page.get_by_text("Each source of counts alone").bounding_box()["y"] - 10
            page.screenshot(path=IMAGES / "explorer_components.png",
                            clip=dict(x=300, y=top, width=860, height=640))
            browser.close()
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()

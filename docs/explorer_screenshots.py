"""Remake the README's pictures of the explorer (needs Panel, Playwright and chromium).

    python docs/explorer_screenshots.py [FOLDER]

Starts ``ccdsim explore`` on a free local port, loads it in headless Chromium
and saves explorer.png and explorer_components.png in FOLDER (default:
docs/images, the README's; another folder to compare before replacing them).
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


def main(images=IMAGES):
    proc = subprocess.Popen([sys.executable, "-m", "ccdsim", "explore", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        url = re.search(r"(http://\S+/)", proc.stdout.readline()).group(1)
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            page = browser.new_page(viewport={"width": 1460, "height": 1400})
            page.goto(url)
            page.locator("[data-q=mean-measured]").wait_for(timeout=60_000)
            # The night's flat field, and cosmic rays at an exaggerated 0.5 events/cm^2/s.
            page.locator(".ccdsim-flat-field input").check()
            page.locator("[data-q=flat-on]").wait_for(timeout=60_000)
            page.locator(".ccdsim-cosmic-rays input").check()
            rate = page.locator(".ccdsim-cosmic_ray_rate input[type=text]")
            rate.fill("0.5")
            rate.press("Enter")
            page.get_by_text("0.5 events/cm").wait_for(timeout=60_000)
            page.wait_for_timeout(2000)  # let every plot draw
            page.screenshot(path=images / "explorer.png",
                            clip=dict(x=0, y=0, width=1420, height=760))
            top = page.get_by_text("Each source of counts alone").bounding_box()["y"] - 10
            page.screenshot(path=images / "explorer_components.png",
                            clip=dict(x=300, y=top, width=1140, height=730))
            browser.close()
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else IMAGES)

"""The explorer in a real headless Chromium: load the page, move sliders, read the results.

`ccdsim explore` runs in its own process on 127.0.0.1 and a free port, as a
user starts it; Playwright drives Debian's ``chromium``. The statistical checks
use the standard errors of N background pixels (mean: sigma / sqrt(N); std:
sigma / sqrt(2 (N - 1)), Gaussian) and allow 5 of them, so a correct frame
fails with probability below 1e-6 per check.
"""

import io
import math
import os
import re
import select
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from astropy.io import fits
from playwright.sync_api import expect, sync_playwright

from ccdsim import DQ, Camera

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000

# Mean, std and size of the pixel array the browser shows (the frame itself at 500x500).
SHOWN_STATS = """() => {
  const src = window.Bokeh.documents[0].get_model_by_name('frame-pixels');
  const img = src.data.image[0];
  let s = 0, s2 = 0;
  for (let i = 0; i < img.length; i++) { s += img[i]; }
  const m = s / img.length;
  for (let i = 0; i < img.length; i++) { s2 += (img[i] - m) ** 2; }
  return [m, Math.sqrt(s2 / (img.length - 1)), img.length];
}"""


@pytest.fixture(scope="module")
def server():
    """``ccdsim explore --port 0`` in a subprocess; yields the URL it prints."""
    proc = subprocess.Popen([sys.executable, "-m", "ccdsim", "explore", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        match = re.search(r"at (http://127\.0\.0\.1:\d+/) ", line)
        assert match, f"ccdsim explore did not start: {line!r}"
        # Keep reading the server's log so a full pipe never blocks it.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield match.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    page.goto(server)
    page.locator("[data-q=mean-measured]").wait_for(timeout=TIMEOUT_MS)
    yield page
    page.close()


def _text(page, key):
    return page.locator(f"[data-q={key}]").inner_text()


def _number(page, key):
    return float(_text(page, key))


def _input(page, name):
    """The number box of slider ``name`` (what a user types into)."""
    return page.locator(f".ccdsim-{name} input[type=text]")


def _predicted(bias, read, gain, dark, t, sky):
    """The issue's formulas, written out independently of ccdsim.budget."""
    mean = bias + dark * t / gain + sky
    std = math.sqrt((read**2 + dark * t + sky * gain) / gain**2 + 1 / 12)
    return mean, std


def _slider_values(page):
    return {n: float(_input(page, n).input_value())
            for n in ("bias_level", "read_noise", "gain", "dark_current", "exposure_time", "sky")}


def _move_slider(page, name, steps):
    """Press the right arrow on slider ``name`` ``steps`` times; returns the new value.

    Waits after each press until the number box, which is filled from the
    server's value, has changed: the value made the round trip.
    """
    handle = page.locator(f".ccdsim-{name} .noUi-handle")
    box = _input(page, name)
    handle.focus()
    for _ in range(steps):
        before = box.input_value()
        handle.press("ArrowRight")
        expect(box).not_to_have_value(before, timeout=TIMEOUT_MS)
    return float(box.input_value())


def _settled_shown_stats(page, before):
    """The browser image's statistics once it has changed from ``before`` and stays put.

    Updates arrive one after the other, so wait until two reads 0.5 s apart agree.
    """
    deadline = time.monotonic() + TIMEOUT_MS / 1e3
    last = None
    while time.monotonic() < deadline:
        stats = page.evaluate(SHOWN_STATS)
        if stats != before and stats == last:
            return stats
        last = stats
        time.sleep(0.5)
    raise AssertionError("the image in the page did not change and settle")


def test_sliders_change_image_and_budget_to_predicted_values(page):
    # A clean background: no stars, no hot pixels, no bad columns, so every
    # pixel of the image is background and the budget applies to all of it.
    page.locator(".ccdsim-hot-pixels input").uncheck()
    page.locator(".ccdsim-bad-columns input").uncheck()
    stars = _input(page, "stars")
    stars.fill("0")
    stars.press("Enter")
    expect(page.get_by_text("0 stars, 0 hot pixels, 0 bad columns")).to_be_visible()
    base = page.evaluate(SHOWN_STATS)
    assert base[2] == 500 * 500

    # Move the gain and sky sliders with the keyboard, as a user can.
    assert _move_slider(page, "gain", 3) == pytest.approx(1.15)  # steps of 0.05 e-/ADU
    assert _move_slider(page, "sky", 4) == pytest.approx(40)  # steps of 5 ADU
    v = _slider_values(page)
    mean, std = _predicted(v["bias_level"], v["read_noise"], v["gain"], v["dark_current"],
                           v["exposure_time"], v["sky"])
    # The page's prediction follows the sliders (printed with 2 and 3 decimals).
    expect(page.locator("[data-q=mean-predicted]")).to_have_text(f"{mean:.2f}", timeout=TIMEOUT_MS)
    expect(page.locator("[data-q=std-predicted]")).to_have_text(f"{std:.3f}", timeout=TIMEOUT_MS)

    # The measured budget agrees within 5 standard errors (plus the printed rounding).
    n = int(_text(page, "n-background"))
    assert n == 500 * 500
    assert abs(_number(page, "mean-measured") - mean) < 5 * std / math.sqrt(n) + 0.005
    assert abs(_number(page, "std-measured") - std) < 5 * std / math.sqrt(2 * (n - 1)) + 0.0005

    # The pixels the browser holds changed, and to the predicted statistics.
    shown = _settled_shown_stats(page, base)
    assert abs(shown[0] - mean) < 5 * std / math.sqrt(n)
    assert abs(shown[1] - std) < 5 * std / math.sqrt(2 * (n - 1))
    # The old frame was far from these numbers: the change is real, not noise.
    assert abs(base[0] - mean) > 20 * std / math.sqrt(n)


BAD_INPUT = [
    ("gain", "0", "gain must be in [0.001, 1000] (got 0)", "1"),
    ("sky", "-5", "sky must be in [0, 1e+09] (got -5)", "20"),
    ("read_noise", "1e9", "read_noise must be in [0, 10000] (got 1e+09)", "5"),
    ("stars", "100000", "stars must be an integer in [0, 5000] (got 100000)", "50"),
]


def test_bad_input_shows_the_message_not_a_traceback(page):
    before = _text(page, "mean-measured")
    for name, value, message, good in BAD_INPUT:
        box = _input(page, name)
        box.fill(value)
        box.press("Enter")
        expect(page.get_by_text(message)).to_be_visible(timeout=TIMEOUT_MS)
        assert "Traceback" not in page.content()
        assert _text(page, "mean-measured") == before  # the last good frame stays
        box.fill(good)
        box.press("Enter")
        expect(page.get_by_text(message)).to_be_hidden(timeout=TIMEOUT_MS)


def test_downloads_then_typed_gain_and_sky(page):
    """Download the default frame (FITS, PNG); then type gain and sky into their boxes."""
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name="FITS (image + truth)").click()
    data = open(info.value.path(), "rb").read()
    with fits.open(io.BytesIO(data)) as hdul:
        assert hdul[0].data.shape == (500, 500)
        assert hdul[0].header["GAIN"] == 1.0 and hdul[0].header["FRMSEED"] == "1"
        truth = hdul["TRUTH"].data
        assert len(truth) == 50 and {"x_0", "y_0", "flux"} <= set(truth.names)
        # The file holds the page's frame: the same seeds make the same pixels.
        ref = Camera(shape=(500, 500)).expose(100, sky=20, stars=50, rng=1)
        np.testing.assert_array_equal(hdul[0].data, ref.data)
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name="PNG picture").click()
    assert open(info.value.path(), "rb").read()[:8] == b"\x89PNG\r\n\x1a\n"

    for name, value in (("gain", "2.5"), ("sky", "150")):
        box = _input(page, name)
        box.fill(value)
        box.press("Enter")
    mean, std = _predicted(1100, 5, 2.5, 0.1, 100, 150)
    expect(page.locator("[data-q=mean-predicted]")).to_have_text(f"{mean:.2f}", timeout=TIMEOUT_MS)
    expect(page.locator("[data-q=std-predicted]")).to_have_text(f"{std:.3f}", timeout=TIMEOUT_MS)
    n = int(_text(page, "n-background"))
    assert n > 100_000  # stars, hot pixels and bad columns left out of 250,000
    assert abs(_number(page, "mean-measured") - mean) < 5 * std / math.sqrt(n) + 0.005
    assert abs(_number(page, "std-measured") - std) < 5 * std / math.sqrt(2 * (n - 1)) + 0.0005


IMAGE_SIZE = """name => {
  const src = window.Bokeh.documents[0].get_model_by_name(name);
  return src.data.image.length ? src.data.image[0].length : 0;
}"""


def _wait_for_thumbnail(page, name, size):
    """Wait until the thumbnail ``name`` holds ``size`` pixels (its data arrives on its own)."""
    page.wait_for_function(f"name => ({IMAGE_SIZE})(name) === {size}", arg=f"{name}-pixels",
                           timeout=TIMEOUT_MS)


def test_flat_field_and_cosmic_rays_switch_on(page):
    """Switch on the night's flat under a bright sky, then cosmic rays at 2 events/cm^2/s.

    With no stars and no defects every pixel but the cosmic-ray hits is
    background, so the page's numbers can be predicted here: the flat's mean
    over the whole frame is 1 (it is normalised), its variance comes from the
    camera's flat map, and the pixels left out are the frame's COSMIC_RAY bits
    (the frame made again in Python from the same seeds). Tolerances: 5
    standard errors, as above, plus the printed rounding.
    """
    page.locator(".ccdsim-hot-pixels input").uncheck()
    page.locator(".ccdsim-bad-columns input").uncheck()
    for name, value in (("stars", "0"), ("sky", "2000")):
        box = _input(page, name)
        box.fill(value)
        box.press("Enter")
    expect(page.locator("[data-q=mean-predicted]")).to_have_text("3110.00", timeout=TIMEOUT_MS)
    assert page.locator("[data-q=flat-on]").count() == 0
    assert page.evaluate(IMAGE_SIZE, "flat-pixels") == 0

    page.locator(".ccdsim-flat-field input").check()
    expect(page.locator("[data-q=flat-on]")).to_be_visible(timeout=TIMEOUT_MS)
    camera = dict(shape=(500, 500), hot_pixel_fraction=0, bad_columns=0, vignetting=0.1,
                  dust_spots=10, prnu=0.01)
    flat_var = float(Camera(**camera).flat_map.astype(np.float64).var())
    std = math.sqrt(25 + 10 + 2000 + 2000**2 * flat_var + 1 / 12)
    expect(page.locator("[data-q=std-predicted]")).to_have_text(f"{std:.3f}", timeout=TIMEOUT_MS)
    assert _number(page, "mean-predicted") == pytest.approx(3110, abs=0.01)
    n = int(_text(page, "n-background"))
    assert n == 500 * 500
    assert abs(_number(page, "std-measured") - std) < 5 * std / math.sqrt(2 * (n - 1)) + 0.0005
    assert abs(_number(page, "mean-measured") - 3110) < 5 * std / math.sqrt(n) + 0.005
    _wait_for_thumbnail(page, "flat", 250 * 250)  # the sensitivity map appears

    rate = _input(page, "cosmic_ray_rate")
    expect(rate).to_be_disabled()
    page.locator(".ccdsim-cosmic-rays input").check()
    expect(rate).to_be_enabled(timeout=TIMEOUT_MS)
    rate.fill("2")
    rate.press("Enter")
    frame = Camera(**camera, cosmic_ray_rate=2.0).expose(100, sky=2000, stars=0, rng=1)
    hits = int(np.count_nonzero(frame.dq & DQ.COSMIC_RAY))
    assert hits > 0
    expect(page.locator("[data-q=n-background]")).to_have_text(str(500 * 500 - hits),
                                                                timeout=TIMEOUT_MS)
    assert _text(page, "cosmic-rays") == str(len(frame.cosmics))
    _wait_for_thumbnail(page, "cosmic rays", 250 * 250)


def test_seed_and_cosmic_ray_limits_are_one_line_in_the_page(page):
    """A seed the number box would round, and half a billion cosmic rays: refused, quickly.

    The box holds a JavaScript double: 2**53 + 1 typed arrives as 2**53. A
    cosmic-ray rate of 1000 events/cm^2/s for 1e6 s would ask for 5.6e8
    tracks on 500x500 pixels of 15 um; the page says so within seconds.
    """
    from ccdsim.explorer import MAX_COSMIC_RAYS, MAX_SEED

    before = _text(page, "mean-measured")
    seed = page.locator(".ccdsim-seed input")
    seed.fill(str(2**53 + 1))
    seed.press("Enter")
    message = f"seed must be at most {MAX_SEED} (2**53 - 1) in the explorer"
    expect(page.get_by_text(message)).to_be_visible(timeout=TIMEOUT_MS)
    assert _text(page, "mean-measured") == before  # the last good frame stays
    seed.fill("1")
    seed.press("Enter")
    expect(page.get_by_text(message)).to_be_hidden(timeout=TIMEOUT_MS)

    exposure = _input(page, "exposure_time")
    exposure.fill("1e6")
    exposure.press("Enter")
    expect(page.locator("[data-q=mean-predicted]")).not_to_have_text("1130.00",
                                                                      timeout=TIMEOUT_MS)
    page.locator(".ccdsim-cosmic-rays input").check()  # the night's 0.03: 16,875 tracks
    expect(page.locator("[data-q=cosmic-rays]")).to_be_visible(timeout=TIMEOUT_MS)
    rate = _input(page, "cosmic_ray_rate")
    rate.fill("1000")
    start = time.monotonic()
    rate.press("Enter")
    message = (f"cosmic rays: 5.62e+08 expected on this frame, more than the explorer's "
               f"{MAX_COSMIC_RAYS:,}")
    expect(page.get_by_text(message)).to_be_visible(timeout=10_000)
    assert time.monotonic() - start < 10
    assert "Traceback" not in page.content()
    rate.fill("0.03")
    rate.press("Enter")
    expect(page.get_by_text(message)).to_be_hidden(timeout=TIMEOUT_MS)

"""The sky on the command line: `image --ra --dec ...`, `night` with a site, refusals."""

import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from ccdsim.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "ccdsim", *args], capture_output=True,
                          text=True)


def test_image_with_a_catalog_has_a_wcs_and_magnitude_fluxes(tmp_path):
    """A catalogue star of magnitude m gets zero_point 10**(-0.4 (m + k X)) t / gain ADU."""
    cat = Table({"ra": [132.80, 132.81, 132.82], "dec": [11.80, 11.805, 11.79],
                 "mag_V": [14.0, 15.0, 16.0]})
    cat.write(tmp_path / "stars.ecsv")
    out = tmp_path / "m67.fits"
    assert main(["image", str(out), "--ra", "132.81", "--dec", "11.8", "--pixel-scale", "0.5",
                 "--rotation", "30", "--filter", "V", "--catalog", str(tmp_path / "stars.ecsv"),
                 "--zero-point", "1e9", "--extinction", "0.2", "--airmass", "1.5",
                 "--seeing", "1.5", "--shape", "256", "256", "--exposure", "10", "--gain", "2",
                 "--seed", "1"]) == 0
    h = fits.getheader(out)
    truth = Table.read(out, hdu="TRUTH")
    assert len(truth) == 3 and list(truth["mag"]) == [14.0, 15.0, 16.0]
    x, y = WCS(h).world_to_pixel_values(truth["ra"], truth["dec"])
    assert np.max(np.hypot(x - truth["x_0"], y - truth["y_0"])) < 1e-6
    expected = 1e9 * 10 * 10 ** (-0.4 * (truth["mag"] + 0.2 * 1.5)) / 2
    np.testing.assert_allclose(truth["flux"], expected, rtol=1e-12)
    np.testing.assert_allclose(truth["sigma"], 1.5 / 2.3548200450309493 / 0.5, rtol=1e-9)
    assert (h["AIRMASS"], h["EXTINCT"], h["ZEROPT"], h["SEEING"], h["FILTER"]) == \
        (1.5, 0.2, 1e9, 1.5, "V")
    assert h["OBJCTRA"] == "08 51 14.40" and h["OBJCTDEC"] == "+11 48 00.0"


def test_image_without_a_pointing_has_no_wcs(tmp_path):
    out = tmp_path / "plain.fits"
    assert main(["image", str(out), "--shape", "64", "64", "--seed", "1"]) == 0
    h = fits.getheader(out)
    assert "CTYPE1" not in h and "RA" not in h and "AIRMASS" not in h


def test_pointing_refusals_are_one_line(tmp_path):
    res = run("image", str(tmp_path / "a.fits"), "--ra", "10")
    assert res.returncode == 2 and "--ra and dec go together" in res.stderr
    res = run("image", str(tmp_path / "a.fits"), "--ra", "10", "--dec", "95")
    assert res.returncode == 2 and res.stderr.startswith("ccdsim: error: --dec")
    res = run("image", str(tmp_path / "a.fits"), "--ra", "10", "--dec", "5", "--catalog",
              str(tmp_path / "none.ecsv"))
    assert res.returncode == 2 and "none.ecsv does not exist" in res.stderr
    assert not (tmp_path / "a.fits").exists()


def test_night_points_its_science_frames_from_a_site(tmp_path):
    """Airmass follows the target (recomputed here with astropy), dithers stay in the disc."""
    from ccdsim.sky import airmass_at

    out = tmp_path / "n"
    assert main(["night", str(out), "--ra", "132.8", "--dec", "11.8", "--site-latitude",
                 "31.96", "--site-longitude", "-111.6", "--start", "2026-03-21T03:00:00",
                 "--dither", "30", "--seeing", "1.2", "--seeing-jitter", "0.1",
                 "--shape", "128", "128", "--n-bias", "1", "--n-dark", "1", "--n-flat", "1",
                 "--n-science", "3", "--overhead", "1200", "--quiet", "--seed", "2"]) == 0
    airmasses = []
    for k in (1, 2, 3):
        h = fits.getheader(out / f"science-00{k}.fits")
        middle = np.datetime64(h["DATE-OBS"]) + np.timedelta64(int(h["EXPTIME"] * 500), "ms")
        assert h["AIRMASS"] == airmass_at(132.8, 11.8, str(middle), (31.96, -111.6, 0.0))
        assert np.hypot(h["DITHERE"], h["DITHERN"]) <= 30
        airmasses.append(h["AIRMASS"])
    assert len(set(airmasses)) == 3
    assert (out / "truth" / "catalog-field.fits").exists()


def test_tracking_drift_trails_the_stars_along_its_line():
    """A drift of L pixels spreads a star into k equal parts along the line: the
    variance along it grows by L^2 (k^2 - 1) / (12 k^2) (k equally spaced
    points), across it not at all; measured on the expected (noise-free)
    electrons to 1e-3, and the truth keeps the mid-exposure position."""
    from ccdsim import Camera

    cam = Camera(shape=(96, 96), read_noise=0.0, dark_current=0.0, hot_pixel_fraction=0.0,
                 bad_columns=0)
    star = Table({"x_0": [48.3], "y_0": [47.6], "flux": [1e6], "sigma": [2.0]})
    trail = (12.0, 0.0)
    exposure = cam.prepare(100, stars=star, trail=trail, rng=1)
    image = exposure.expected(0, 96)
    yy, xx = np.indices(image.shape)
    total = image.sum()
    mx, my = (image * xx).sum() / total, (image * yy).sum() / total
    vx = (image * (xx - mx) ** 2).sum() / total
    vy = (image * (yy - my) ** 2).sum() / total
    k = max(2, int(np.ceil(2 * 12.0 / 2.0)))
    assert (mx, my) == (pytest.approx(48.3, abs=1e-3), pytest.approx(47.6, abs=1e-3))
    assert vx - vy == pytest.approx(144 * (k * k - 1) / (12 * k * k), rel=1e-3)
    assert exposure.truth["x_0"][0] == 48.3 and exposure.header()["TRAILX"] == 12.0


def test_night_pointing_without_a_site_and_half_a_site(tmp_path):
    """A pointing alone (no site: airmass 1) runs; a latitude alone is one line, nothing written."""
    out = tmp_path / "n"
    assert main(["night", str(out), "--ra", "10", "--dec", "20", "--shape", "64", "64",
                 "--n-bias", "0", "--n-dark", "0", "--n-flat", "0", "--n-science", "1",
                 "--quiet", "--seed", "1"]) == 0
    assert fits.getheader(out / "science-001.fits")["AIRMASS"] == 1.0
    res = run("night", str(tmp_path / "m"), "--ra", "10", "--dec", "20", "--site-latitude", "30")
    assert res.returncode == 2 and res.stderr == (
        "ccdsim: error: --site-latitude and site_longitude go together: a site needs both\n")
    assert not (tmp_path / "m").exists()


def test_field_rotation_trails_each_star_across_its_radius(tmp_path):
    """A plan group's field_rotation turns each star about the frame's centre: a star at
    the centre stays round, one at radius r is spread along the tangent by the chord
    2 r sin(a / 2); measured on the expected (noise-free) electrons: the variance along
    the tangent minus the one along the radius is chord^2 (k^2 - 1) / (12 k^2), to 1e-3."""
    from ccdsim.plans.file import build_plan

    cat = Table({"ra": [150.0, 150.0], "dec": [20.0, 20.0 + 40 * 0.5 / 3600],
                 "mag_V": [10.0, 10.0]})
    cat.write(tmp_path / "two.ecsv")
    doc = {"seed": 1, "start": "2026-01-01T00:00:00",
           "cameras": {"c": {"shape": [160, 160], "read_noise": 0.0, "dark_current": 0.0,
                             "hot_pixel_fraction": 0.0, "bad_columns": 0,
                             "pixel_scale": 0.5}},
           "filters": {"V": {"zero_point": 1e4}},
           "targets": {"t": {"ra": 150.0, "dec": 20.0, "catalog": "two.ecsv"}},
           "groups": [{"kind": "science", "exposure": 10.0, "filter": "V", "target": "t",
                       "seeing": 1.5, "field_rotation": 20.0}]}
    plan = build_plan(doc, base=str(tmp_path))
    from ccdsim.plans.frames import frame_light

    spec = plan.frames[0]
    light = frame_light(plan, spec)
    exposure = plan.camera.prepare(10.0, rng=1, **light)
    image = exposure.expected(0, 160)
    truth = exposure.truth
    sigma = truth["sigma"][0]
    chord = 2 * 40 * np.sin(np.radians(20) / 2)
    k = max(2, int(np.ceil(2 * chord / sigma)))
    yy, xx = np.indices(image.shape)
    for star, extra in ((0, 0.0), (1, chord ** 2 * (k * k - 1) / (12 * k * k))):
        x0, y0 = truth["x_0"][star], truth["y_0"][star]
        near = np.hypot(xx - x0, yy - y0) < 15
        w = np.where(near, image, 0)
        mx, my = (w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()
        # the second star sits straight up from the centre: radius along y, tangent along x
        vx = (w * (xx - mx) ** 2).sum() / w.sum()
        vy = (w * (yy - my) ** 2).sum() / w.sum()
        assert vx - vy == pytest.approx(extra, abs=1e-3 * max(extra, 1))
        assert (mx, my) == (pytest.approx(x0, abs=2e-3), pytest.approx(y0, abs=2e-3))
    assert run_frame_header(plan)["FIELDROT"] == 20.0


def run_frame_header(plan):
    from ccdsim.plans.make import run_frame

    return run_frame(plan, 0).header


def test_image_airmass_from_a_site_and_a_time_and_refusals(tmp_path):
    """`--site-* --start`: the airmass at the exposure's middle, as astropy gives it; sky
    options without a pointing are refused, never ignored; `--start` alone dates the frame."""
    from ccdsim.sky import airmass_at

    out = tmp_path / "s.fits"
    assert main(["image", str(out), "--ra", "132.8", "--dec", "11.8", "--site-latitude",
                 "31.96", "--site-longitude", "-111.6", "--start", "2026-03-21T04:00:00",
                 "--exposure", "100", "--shape", "64", "64", "--seed", "1"]) == 0
    h = fits.getheader(out)
    assert h["AIRMASS"] == airmass_at(132.8, 11.8, "2026-03-21T04:00:50", (31.96, -111.6, 0.0))
    assert h["DATE-OBS"] == "2026-03-21T04:00:00.000" and "LST" in h and "MJD-OBS" in h
    res = run("image", str(tmp_path / "x.fits"), "--seeing", "1.2")
    assert res.returncode == 2 and res.stderr == (
        "ccdsim: error: --seeing needs a pointing: give --ra and --dec\n")
    assert main(["image", str(tmp_path / "d.fits"), "--start", "2026-03-21T04:00:00",
                 "--shape", "32", "32", "--seed", "1"]) == 0
    h = fits.getheader(tmp_path / "d.fits")
    assert h["DATE-OBS"] == "2026-03-21T04:00:00.000" and "CTYPE1" not in h

"""Nonlinearity and persistence, measured back from simulated frames as an observer would.

Every tolerance is a multiple (5) of the standard deviation the measurement
is expected to scatter by, worked out from the frames' Poisson, read and
quantisation noise (each test's docstring says how). Seeds are fixed, so
the tests do not flicker, but each would fail if the effect were off or had
the wrong size: each also asserts that the effect is many sigma from zero.
"""

import dataclasses
import subprocess
import sys
from datetime import datetime, timedelta

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from photutils.aperture import ApertureStats, CircularAnnulus, CircularAperture

from ccdsim import Camera
from ccdsim.plans.model import FrameSpec
from ccdsim.plans.night import plan_night
from ccdsim.plans.make import run_frame
from ccdsim.run.truth import truth_maps
from ccdsim.run.output import write_night
from ccdsim.physics.response import respond, response_coefficient, response_curve

GAIN, READ_NOISE, BIAS = 1.5, 5.0, 1100.0  # the guide's thermo-electric camera (e-/ADU, e-, ADU)
NONLIN, LEVEL = -0.01, 55000.0  # -1% at 55,000 ADU: "linearity limit around 55,000 counts"


def _clean_camera(**kw):
    """A camera with no defects, so a frame's mean is its signal plus the bias level."""
    return Camera(shape=kw.pop("shape", (256, 256)), gain=GAIN, read_noise=READ_NOISE,
                  bias_level=BIAS, bad_columns=0, hot_pixel_fraction=0, **kw)


# Nonlinearity -----------------------------------------------------------------


def test_linear_camera_returns_its_input_unchanged():
    """Off (the default): `respond` hands back the very same array, whatever its dtype."""
    cam = Camera()
    for electrons in (np.arange(12, dtype=np.int64).reshape(3, 4), np.ones((2, 5)),
                      np.zeros((0, 0), dtype=np.int64)):
        assert respond(electrons, cam) is electrons
    on = respond(np.arange(12, dtype=np.int64).reshape(3, 4), Camera(nonlinearity=-0.01))
    assert on.dtype == np.float64 and on[2, 3] < 11


def test_response_curve_is_stated_at_its_level_and_never_turns_down():
    """The deviation at ``nonlinearity_level`` is ``nonlinearity``; more charge never reads less."""
    for nl in (-0.5, -0.01, 0.02):
        cam = Camera(gain=GAIN, nonlinearity=nl, nonlinearity_level=LEVEL)
        e_level = LEVEL * GAIN
        assert response_curve(e_level, response_coefficient(cam)) / e_level - 1 == \
            pytest.approx(nl, rel=1e-12)
        e = np.linspace(0, 1e8, 100001)
        assert np.all(np.diff(response_curve(e, response_coefficient(cam))) >= 0)


def test_linearity_series_of_flats_matches_the_truth_curve():
    """A linearity test: flats of increasing exposure, mean counts against exposure time.

    As observers do: bias-subtracted mean of each flat (numpy), a line through
    the origin fitted to the low part (<= 20,000 ADU), and each flat's
    fractional deviation from that line. The same recipe applied to the truth
    curve (`response_curve`, plus the ``c mu`` that a Poisson mean adds to
    ``mu (1 + c mu)``) gives the expected deviations. Each flat's mean
    scatters by ``sqrt((e + RN^2) / N) / g`` ADU (Poisson and read noise of N
    pixels, plus the ADC's 1/12 ADU^2 and the bias frame's own noise); the
    fitted slope's scatter follows from those. Tolerance: 5 sigma per flat
    (sigma is about 1.5e-5 at the top). Then a quadratic fit of all the flats
    gives the deviation at 55,000 ADU directly: within 5 sigma of its
    covariance of -1%, and more than 100 sigma from a linear camera.
    """
    cam = _clean_camera(dark_current=0.0, nonlinearity=NONLIN, nonlinearity_level=LEVEL)
    n = cam.shape[0] * cam.shape[1]
    rate = 5000.0  # ADU/s of linear signal
    t = np.arange(1.0, 13.0)  # s: 5,000 to 60,000 ADU (below the 16-bit ADC's top)
    bias = cam.expose(0, rng=99).data.astype(float)
    bias_var = (READ_NOISE**2 / GAIN**2 + 1 / 12) / n
    signal = np.array([cam.expose(ti, sky=rate * ti, rng=100 + i).data.mean() - bias.mean()
                       for i, ti in enumerate(t)])
    mu = rate * t * GAIN  # expected electrons
    c = response_coefficient(cam)
    truth = (response_curve(mu, c) + c * mu) / GAIN
    sigma = np.sqrt((truth * GAIN + READ_NOISE**2) / GAIN**2 / n + 1 / 12 / n + bias_var)

    low = truth <= 20000

    def deviation(s):
        k = np.sum(s[low] * t[low]) / np.sum(t[low] ** 2)
        return s / (k * t) - 1, k

    dev, k = deviation(signal)
    dev_truth, _ = deviation(truth)
    sigma_k = np.sqrt(np.sum((t[low] * sigma[low]) ** 2)) / np.sum(t[low] ** 2)
    sigma_dev = (1 + dev) * np.hypot(sigma / signal, sigma_k / k)
    assert np.all(np.abs(dev - dev_truth) < 5 * sigma_dev), (dev - dev_truth) / sigma_dev
    assert dev_truth[-1] < -0.005 and abs(dev_truth[-1]) > 100 * sigma_dev[-1]

    # The quadratic S = a t + b t^2: the deviation at LEVEL is b LEVEL / a^2.
    # Weighted least squares with the flats' own sigmas (no constant: bias-subtracted).
    design = np.vstack([t**2, t]).T / sigma[:, None]
    cov = np.linalg.inv(design.T @ design)
    b, a = cov @ design.T @ (signal / sigma)
    grad = np.array([LEVEL / a**2, -2 * b * LEVEL / a**3])
    measured, sigma_nl = b * LEVEL / a**2, np.sqrt(grad @ cov @ grad)
    assert abs(measured - NONLIN) < 5 * sigma_nl, (measured, sigma_nl)
    assert abs(measured) > 100 * sigma_nl


def test_nonlinearity_truth_in_header_and_night():
    """The header records the curve's parameters; a night's truth holds the curve and ``c``."""
    cam = _clean_camera(shape=(128, 128), nonlinearity=NONLIN, nonlinearity_level=LEVEL)
    h = cam.expose(10, sky=100, rng=1).header
    assert (h["NONLIN"], h["NONLINLV"], h["GAIN"]) == (NONLIN, LEVEL, GAIN)
    plan = plan_night(cam, n_bias=1, n_dark=0, n_flat=0, n_science=0, seed=1)
    table = Table(truth_maps(plan)["nonlinearity.fits"]["TRUTH"].data)
    hdr = truth_maps(plan)["nonlinearity.fits"]["TRUTH"].header
    assert hdr["NLCOEF"] == pytest.approx(NONLIN / (LEVEL * GAIN), rel=1e-12)
    at_level = np.interp(LEVEL, table["signal"], table["deviation"])
    assert at_level == pytest.approx(NONLIN, abs=1e-6)
    assert "nonlinearity.fits" not in truth_maps(plan_night(_clean_camera(shape=(128, 128)),
                                                            n_flat=0, seed=1))


# Persistence ------------------------------------------------------------------

FRACTION, TAU = 0.01, 120.0  # 1% of the excess, e-folding in 120 s
EXPOSURE, OVERHEAD, FULL_WELL, DARK = 60.0, 10.0, 60000.0, 0.1  # s, s, e-, e-/pixel/s
STAR = (64.3, 60.7)  # x, y (px)


def _ghost_night(persistence=FRACTION):
    """A dark, a science frame with one star far over the full well, then four darks."""
    cam = _clean_camera(shape=(128, 128), dark_current=DARK, full_well=FULL_WELL,
                        persistence=persistence, persistence_time=TAU)
    base = plan_night(cam, n_bias=0, n_dark=0, n_flat=0, n_science=1, stars=0, seed=7)
    field = Table({"x_0": [STAR[0]], "y_0": [STAR[1]], "flux": [2.5e7]})  # ADU; peak ~1e6
    start, frames = datetime(2026, 3, 20, 19), []
    for i, kind in enumerate(["dark", "science", "dark", "dark", "dark", "dark"]):
        n = sum(f.kind == kind for f in frames) + 1
        frames.append(FrameSpec(i, kind, f"{kind}-{n:03d}.fits", EXPOSURE,
                                start.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                                sky=20.0 if kind == "science" else 0.0,
                                stars=kind == "science"))
        start += timedelta(seconds=EXPOSURE + OVERHEAD)
    return dataclasses.replace(base, frames=tuple(frames), field=field)


def test_persistence_decays_in_the_darks_after_a_saturated_star(tmp_path):
    """The ghost of a saturated star in the following darks follows the truth law.

    The night is written to disk and read back. In each dark: photutils
    aperture sum (radius 10 px, holding every pixel over the full well) minus
    the mean of an annulus (20-40 px) per pixel, times the gain, is the
    persistence charge in e-. The law, computed here from the science frame's
    expected electrons over the full well (``E``) and the frames' DATE-OBS
    and EXPTIME: ``f E [exp(-d0/tau) - exp(-d1/tau)]``. Its scatter: the
    charge's own Poisson noise, the aperture's A pixels of read noise and
    dark current (A (RN^2 + dark) e-^2), the ADC's A g^2/12, and the
    annulus mean's error times A. Tolerance: 5 sigma per dark; the dark
    before the star gets nothing (0 within 5 sigma), and the first ghost is
    more than 50 sigma.
    """
    plan = _ghost_night()
    write_night(plan, tmp_path / "night", progress=False)
    science = plan.frames[1]
    expected = plan.camera.prepare(EXPOSURE, sky=science.sky, stars=plan.field).expected(0, 128)
    excess = np.clip(expected - FULL_WELL, 0, None)
    yy, xx = np.indices(excess.shape)
    inside = np.hypot(xx - STAR[0], yy - STAR[1]) < 10
    assert excess.sum() > 1e7 and excess[~inside].sum() == 0
    aperture = CircularAperture(STAR, r=10)
    annulus = CircularAnnulus(STAR, r_in=20, r_out=40)
    table = Table.read(tmp_path / "night" / "truth" / "persistence.fits")

    def when(h):
        return datetime.fromisoformat(h["DATE-OBS"]), h["EXPTIME"]

    with fits.open(tmp_path / "night" / science.filename) as hdul:
        t_sci, exp_sci = when(hdul[0].header)
    sci_end = t_sci + timedelta(seconds=exp_sci)
    ghosts = []
    for spec in plan.frames[::2] + plan.frames[3::2]:  # the darks
        with fits.open(tmp_path / "night" / spec.filename) as hdul:
            data, h = hdul[0].data.astype(float), hdul[0].header
        t0, exposure = when(h)
        d0 = (t0 - sci_end).total_seconds()
        law = 0.0 if d0 < 0 else FRACTION * excess.sum() * (
            np.exp(-d0 / TAU) - np.exp(-(d0 + exposure) / TAU))
        background = ApertureStats(data, annulus)
        area = aperture.area
        measured = (ApertureStats(data, aperture).sum - area * background.mean) * GAIN
        sigma = np.sqrt(law + area * (READ_NOISE**2 + DARK * exposure + GAIN**2 / 12)
                        + (area * background.std * GAIN) ** 2 / background.sum_aper_area.value)
        assert abs(measured - law) < 5 * sigma, (spec.filename, measured, law, sigma)
        if law:
            ghosts.append(measured / sigma)
            assert h["PERSTOT"] == pytest.approx(law, rel=1e-9)
            assert table["charge"][table["frame"] == spec.index].sum() == \
                pytest.approx(law, rel=1e-9)
        else:
            assert "PERSTOT" not in h
    assert len(ghosts) == 4 and ghosts[0] > 50 and ghosts[-1] > 5


def test_frames_are_the_same_in_any_order():
    """Frame i is a pure function of (plan, i): alone, in reverse, or within the night in order.

    A night with hot pixels and stars over the full well (every later frame
    collects their persistence); each plan below is fresh, so nothing
    computed for one frame is reused for another.
    """
    def plan():
        cam = Camera(shape=(256, 200), full_well=60000.0, persistence=0.05,
                     persistence_time=200.0, cosmic_ray_rate=0.03, overscan=8)
        return plan_night(cam, n_bias=1, n_dark=2, n_flat=1, n_science=3, max_counts=200000,
                          stars=20, seed=11)

    p = plan()
    in_order = [run_frame(p, i, threads=1).data for i in range(len(p.frames))]
    p = plan()
    reverse = [run_frame(p, i, threads=4).data for i in reversed(range(len(p.frames)))][::-1]
    last = run_frame(plan(), len(p.frames) - 1).data
    for a, b in zip(in_order, reverse):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(last, in_order[-1])
    assert "PERSTOT" in run_frame(p, len(p.frames) - 1).header
    # Before any frame over the full well ended, the pixels are those of a camera without.
    off = dataclasses.replace(p, camera=dataclasses.replace(p.camera, persistence=0.0))
    for i in (0, 1):
        assert "PERSTOT" not in run_frame(p, i).header
        np.testing.assert_array_equal(run_frame(off, i).data, in_order[i])
    assert not np.array_equal(run_frame(off, 5).data, in_order[5])


BAD = [("--nonlinearity", "0.7"), ("--nonlinearity", "abc"), ("--nonlinearity-level", "0"),
       ("--nonlinearity-level", "70000"), ("--persistence", "-0.1"), ("--persistence", "2"),
       ("--persistence-time", "0"), ("--persistence-time", "x")]


@pytest.mark.parametrize("option,value", BAD, ids=[" ".join(b) for b in BAD])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, option, value):
    """``ccdsim image OUT --option BAD``: one line naming the option, exit 2, no file."""
    res = subprocess.run([sys.executable, "-m", "ccdsim", "image", str(tmp_path / "a.fits"),
                          "--shape", "64", "64", option, value], capture_output=True, text=True)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ccdsim: error: {option} must be"), res.stderr
    assert res.stdout == "" and list(tmp_path.iterdir()) == []

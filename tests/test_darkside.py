"""Glow and the hot-pixel population, measured back from simulated frames.

Every tolerance follows from the expected scatter of what is measured: a
pixel's mean of ``n`` frames has variance ``(lambda + read_noise**2 +
gain**2 / 12) / n`` in e-**2 (Poisson, read noise, ADC rounding); fractions
of pixels have binomial standard errors. Bounds are 5 sigma for single
numbers compared with the truth, so a correct model fails with a chance
below 1e-6 per comparison, and a wrong one (no glow, a wrong slope or
intercept, no tail, no fixed charge, no switching) fails by tens of sigma.
"""

import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData
from ccdproc import combine

from ccdsim import Camera, plan_night, write_night
from ccdsim.cli import main
from ccdsim.physics.dark import dark_charge
from ccdsim.physics.glow import glow_rate_map
from ccdsim.physics.hotpixels import population, population_table
from ccdsim.physics.hotpixels import tail_index

# The guide's thermo-electrically cooled camera (gain, read noise, dark current),
# without the guide's own hot pixels and bad columns, so only this effect shows.
GUIDE_TE = dict(gain=1.5, read_noise=10.0, dark_current=0.01, bad_columns=0,
                hot_pixel_fraction=0.0, bias_level=1100.0)


def _adc_var(cam):
    """Read noise and ADC rounding, in e-**2 per frame."""
    return cam.read_noise ** 2 + cam.gain ** 2 / 12


def _mean_e(cam, t, n, seed):
    """Mean of ``n`` frames of ``t`` seconds (combined with ccdproc), bias level off, in e-."""
    frames = [CCDData(cam.expose(t, sky=0, rng=[*np.atleast_1d(seed), i]).data.astype(float), unit="adu")
              for i in range(n)]
    mean = combine(frames, method="average").data if n > 1 else frames[0].data
    return (mean - cam.bias_level) * cam.gain


def test_glow_slope_and_zero_second_part_match_the_truth():
    """Per 16x16 region, a straight-line fit of e- against exposure time (0, 50, 200 s).

    Slope = glow + dark current (e-/s), intercept = glow x read-out time
    (e-). Each region's tolerance is 5 sigma of its fit, propagated from
    the per-pixel variance (glow and dark electrons + read noise + ADC
    rounding) / frames.
    """
    cam = Camera(shape=(128, 128), **GUIDE_TE, glow_rate=3.0, glow_length=12.0,
                 glow_sources="lower-left,right", glow_readout_time=20.0)
    glow = glow_rate_map(cam).astype(float)
    times, n = np.array([0.0, 50.0, 200.0]), 6
    y = np.array([_mean_e(cam, t, n, seed=k) for k, t in enumerate(times)])
    rate = glow + cam.dark_current
    var = np.array([(rate * t + glow * cam.glow_readout_time + _adc_var(cam)) / n
                    for t in times])
    # Least squares: y_i = b + s t_i; each estimate is a linear sum of the y_i.
    dt = times - times.mean()
    w_s = dt / (dt ** 2).sum()
    w_b = 1 / len(times) - times.mean() * w_s
    slope, icpt = np.tensordot(w_s, y, 1), np.tensordot(w_b, y, 1)
    var_s, var_b = np.tensordot(w_s ** 2, var, 1), np.tensordot(w_b ** 2, var, 1)

    def regions(a):
        return a.reshape(8, 16, 8, 16).sum(axis=(1, 3))

    npix = 16 * 16
    z_s = (regions(slope) - regions(rate)) / np.sqrt(regions(var_s))
    z_b = (regions(icpt) - regions(glow * cam.glow_readout_time)) / np.sqrt(regions(var_b))
    assert np.abs(z_s).max() < 5 and np.abs(z_b).max() < 5
    # The glow is there: the lower-left region's intercept is many sigma above 0.
    assert regions(icpt)[0, 0] / np.sqrt(regions(var_b)[0, 0]) > 50
    assert regions(slope)[0, 0] / npix > 10 * cam.dark_current


@pytest.fixture(scope="module")
def tail_camera():
    return Camera(shape=(1024, 1024), **GUIDE_TE, hot_above_1=1e-3, hot_above_4=2.6e-4)


def test_hot_pixel_fractions_above_1_and_4_e_per_s(tail_camera):
    """Fractions of pixels above 1 and 4 e-/s in 3 x 1000 s darks minus 2 biases.

    Tolerance: 5 binomial standard errors, ``5 sqrt(f (1 - f) / N)``
    (N = 1048576 pixels: 5 sigma = 160 pixels above 1 e-/s, 83 above 4).
    A pixel's measured rate scatters by 0.02 e-/s at 1 e-/s, so pixels
    crossing the thresholds move the counts by about 10, far inside.
    """
    cam = tail_camera
    rate = (_mean_e(cam, 1000.0, 3, seed=1) - _mean_e(cam, 0.0, 2, seed=2)) / 1000.0
    npix = rate.size
    for threshold, f in ((1.0, cam.hot_above_1), (4.0, cam.hot_above_4)):
        found = np.count_nonzero(rate > threshold)
        assert abs(found - f * npix) < 5 * np.sqrt(npix * f * (1 - f)), (threshold, found)
    # The ordinary pixels keep the dark current: 0.01 e-/s.
    assert np.median(rate) == pytest.approx(cam.dark_current, abs=0.002)
    assert tail_index(1e-3, 2.6e-4) == pytest.approx(0.972, abs=1e-3)


def test_measured_rates_follow_the_truth_table(tail_camera):
    """Each unsaturated hot pixel's rate from a 100 s dark matches its row of the table.

    Per pixel, 5 sigma of (rate x t + read noise + rounding, and a bias
    frame's read noise) / t.
    """
    cam = tail_camera
    table = population_table(cam)
    t = 100.0
    e = _mean_e(cam, t, 1, seed=3) - _mean_e(cam, 0.0, 1, seed=4)
    ok = table["rate"] * t < 50000  # far from the ADC's 65535 ADU x 1.5
    x, y, r = table["x"][ok], table["y"][ok], np.asarray(table["rate"][ok])
    measured = e[y, x] / t - cam.dark_current
    sigma = np.sqrt((r + cam.dark_current) * t + 2 * _adc_var(cam)) / t
    assert np.all(np.abs(measured - r) < 5 * sigma)
    assert ok.sum() > 0.95 * len(table)


def test_short_darks_show_the_fixed_charge_as_a_higher_rate():
    """Apparent rate from 10 s darks minus that from 300 s darks = fixed (1/10 - 1/300).

    The guide's hot pixels above ~4 e-/s look brighter in short darks. Per
    pixel, 5 sigma of the difference (each mean: Poisson + read noise +
    rounding over its frames, the biases' mean subtracted from both).
    """
    cam = Camera(shape=(256, 256), **GUIDE_TE, hot_above_1=5e-3, hot_above_4=1.3e-3,
                 hot_fixed_time=30.0)
    table = population_table(cam)
    bias = _mean_e(cam, 0.0, 4, seed=10)
    short = (_mean_e(cam, 10.0, 6, seed=11) - bias) / 10.0
    long_ = (_mean_e(cam, 300.0, 2, seed=12) - bias) / 300.0
    r, fixed = np.asarray(table["rate"]), np.asarray(table["fixed_charge"])
    ok = (r * 300 + fixed) * 1.0 < 60000  # unsaturated in the long darks
    x, y = table["x"][ok], table["y"][ok]
    r, fixed = r[ok] + cam.dark_current, fixed[ok]
    diff = short[y, x] - long_[y, x]
    expected = fixed / 10.0 - fixed / 300.0
    b = _adc_var(cam) / 4
    sigma = np.sqrt((r * 10 + fixed + _adc_var(cam)) / 6 / 100 + b / 100
                    + (r * 300 + fixed + _adc_var(cam)) / 2 / 300 ** 2 + b / 300 ** 2
                    - 2 * b / 3000)  # the shared bias mean
    assert np.all(np.abs(diff - expected) < 5 * sigma)
    # The effect is far above the noise (without fixed charge this median is ~0).
    assert np.median(diff / sigma) > 5
    # Zero-second biases hold none of it.
    assert np.all(np.abs(bias[y, x]) < 5 * np.sqrt(_adc_var(cam) / 4))


def test_unstable_pixels_switch_between_frames_and_stable_ones_do_not():
    """Six 100 s darks: every frame of a pixel matches one of its two true rates.

    Per frame and pixel, 5 sigma of (rate x t + read noise + rounding, plus
    the bias mean's). Stable pixels match their one rate in all frames;
    unstable ones whose two states are > 10 sigma apart show both states in
    at least 1 - 2 / 2**6 - 5 binomial sigma of them.
    """
    cam = Camera(shape=(256, 256), **GUIDE_TE, hot_above_1=5e-3, hot_above_4=1.3e-3,
                 hot_unstable_fraction=0.3, hot_unstable_ratio=0.1)
    table = population_table(cam)
    table = table[table["rate"] * 100 < 60000]
    t, n = 100.0, 6
    bias = _mean_e(cam, 0.0, 4, seed=20)
    x, y = table["x"], table["y"]
    frames = np.array([(_mean_e(cam, t, 1, seed=[21, i]) - bias)[y, x] / t for i in range(n)])
    frames -= cam.dark_current

    def close(rate):
        sigma = np.sqrt((rate + cam.dark_current) * t + _adc_var(cam) * 1.25) / t
        return np.abs(frames - rate) < 5 * sigma, sigma

    near1, sigma1 = close(np.asarray(table["rate"]))
    near2, _ = close(np.asarray(table["rate2"]))
    unstable = np.asarray(table["unstable"])
    assert np.all(near1[:, ~unstable])
    assert np.all((near1 | near2)[:, unstable])
    apart = unstable & (np.asarray(table["rate"] - table["rate2"]) > 10 * sigma1)
    both = np.any(near1 & ~near2, axis=0) & np.any(near2 & ~near1, axis=0)
    p = 1 - 2 / 2 ** n
    m = apart.sum()
    assert m > 30
    assert both[apart].sum() > m * p - 5 * np.sqrt(m * p * (1 - p))


@pytest.mark.parametrize("option, bad", [
    ("--glow-rate", "-1"), ("--glow-length", "0"), ("--glow-sources", "left,middle"),
    ("--glow-readout-time", "soon"), ("--hot-above-1", "1.5"), ("--hot-above-4", "0.5"),
    ("--hot-fixed-time", "-2"), ("--hot-unstable-fraction", "2"),
    ("--hot-unstable-ratio", "nan")])
def test_bad_values_are_refused_with_one_line(tmp_path, capsys, option, bad):
    out = tmp_path / "a.fits"
    assert main(["image", str(out), "--shape", "32", "32", option, bad]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"ccdsim: error: {option} ")
    assert list(tmp_path.iterdir()) == []


def test_glow_sources_error_names_the_allowed_words():
    with pytest.raises(ValueError, match="lower-left, lower-right, upper-left, upper-right"):
        Camera(glow_sources="lft")


def test_off_by_default_and_seeds_only():
    cam = Camera(shape=(64, 64))
    assert dark_charge(cam, 100.0, np.random.SeedSequence(1)) is None
    assert glow_rate_map(cam) is None and population(cam) is None
    on = Camera(shape=(300, 200), glow_rate=1.0, hot_above_1=0.01, hot_above_4=0.003,
                hot_unstable_fraction=0.5)
    a = on.expose(30, rng=5, threads=1).data
    assert np.array_equal(a, on.expose(30, rng=5, threads=4).data)
    assert not np.array_equal(a, on.expose(30, rng=6).data)


def test_night_writes_the_truth(tmp_path):
    """A night's truth: the glow map, the population table; frames carry the read-out time."""
    cam = Camera(shape=(128, 128), glow_rate=2.0, glow_readout_time=15.0, hot_above_1=0.01,
                 hot_above_4=0.003, hot_unstable_fraction=0.2)
    plan = plan_night(cam, n_bias=1, n_dark=1, n_flat=1, n_science=1, stars=3, seed=1)
    write_night(plan, tmp_path / "n")
    with fits.open(tmp_path / "n" / "truth" / "glow.fits") as h:
        assert np.array_equal(h[0].data, glow_rate_map(cam))
        assert h[0].header["BUNIT"] == "electron/(pix s)"
    with fits.open(tmp_path / "n" / "truth" / "hot_pixels.fits") as h:
        tab = h["TRUTH"].data
        assert len(tab) == round(0.01 * 128 * 128)
        assert set(tab.names) == {"x", "y", "rate", "fixed_charge", "unstable", "rate2"}
    with fits.open(tmp_path / "n" / "bias-001.fits") as h:
        assert h[0].header["GLOWREAD"] == 15.0


def test_population_hot_pixels_are_flagged_in_dq():
    """The population's pixels carry the DQ hot-pixel bit, as the guide's hot pixels do."""
    from ccdsim import DQ, Camera
    from ccdsim.physics.hotpixels import population

    cam = Camera(shape=(256, 200), hot_pixel_fraction=0.0, hot_above_1=2e-3, hot_above_4=5e-4)
    frame = cam.expose(10, rng=1)
    flagged = np.flatnonzero((frame.dq[:, :200] & DQ.HOT_PIXEL) > 0)
    np.testing.assert_array_equal(flagged, population(cam).index)

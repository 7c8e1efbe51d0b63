"""The light side: flat cosmetics, per-filter flats and the shutter, measured back.

Each effect is measured from simulated frames with the tools users use
(ccdproc's ``ccdmask``, numpy), and compared with the truth the simulator
writes; tolerances come from the expected Poisson and read-noise scatter.
"""

import numpy as np
import pytest
from astropy.nddata import CCDData

import ccdsim
from ccdsim import Camera
from ccdsim.cli import main
from ccdsim.physics.flat import cosmetics_table
from ccdsim.run.truth import truth_maps
from ccdsim.physics.shutter import light_scale, offset_map

# A camera whose only non-uniformity is the one a test looks at (gain 1: ADU = e-).
PLAIN = dict(gain=1.0, read_noise=5.0, dark_current=0.0, bad_columns=0, hot_pixel_fraction=0.0)


def _light(cam, t, sky, seed, filter=None):
    """Light in electrons of one frame: float ADU minus the true bias map, x gain."""
    frame = cam.prepare(t, sky=sky, quantize=False, filter=filter, rng=seed).frame()
    return (frame.data.astype(float) - cam.bias_map) * cam.gain


def _combined(cam, n, t, sky, seed, filter=None):
    """Mean of ``n`` flats (electrons), as ccdproc's average combine makes it."""
    return np.mean([_light(cam, t, sky, [seed, i], filter) for i in range(n)], axis=0)


def _bins(a, b=16):
    """Sums over ``b`` x ``b`` blocks."""
    ny, nx = a.shape
    return a[:ny - ny % b, :nx - nx % b].reshape(ny // b, b, nx // b, b).sum(axis=(1, 3))


def test_ccdmask_finds_dead_and_partial_columns_and_patches():
    """ccdmask on a combined, normalised flat finds every cosmetic where the truth puts it.

    The guide runs ccdmask on the ratio of two flats of different exposure,
    because its chip's bad pixels are also nonlinear. Here the sensitivity
    is linear and divides out of such a ratio, so ccdmask runs on one
    combined flat divided by its mean, an input ccdmask takes as well: its
    running median (25 px, twice the patches' 12 px diameter) removes the
    vignetting and the thinning pattern and keeps the patches' surroundings'
    level. Per pixel the flat scatters by PRNU (1%) and Poisson noise of
    5 x 20000 e- (0.3%): about 1.05%. Partial columns (30-70% of the light)
    and patches (30% less) are >= 28 sigma off, dead columns 95 sigma, all
    far beyond ccdmask's 9 sigma, so the whole of each must be masked: all
    rows of a dead column; a partial column from its first bad row on and
    none of it below; >= 90% of each patch's disc (pixels on the rim, cut by
    the disc's edge, are the only ones allowed to escape). Good pixels
    beyond 9 sigma of a Gaussian: ~1e-19 per pixel, so at most 0.1% of the
    pixels away from the cosmetics may be masked.
    """
    import ccdproc

    cam = Camera(shape=(256, 256), **PLAIN, vignetting=0.1, prnu=0.01, dead_columns=3,
                 partial_columns=3, low_patches=5, patch_size=12, patch_depth=0.3, thinning=0.03)
    flat = _combined(cam, 5, 5.0, 20000.0, seed=1)
    mask = ccdproc.ccdmask(CCDData(flat / flat.mean(), unit="adu"), ncmed=25, nlmed=25,
                           ncsig=31, nlsig=31)
    truth = cosmetics_table(cam)
    assert list(truth["kind"]).count("patch") == 5
    yy, xx = np.mgrid[:256, :256]
    near = np.zeros(cam.shape, dtype=bool)
    for row in truth:
        col, y0 = int(row["x"]), int(row["y"])
        if row["kind"] == "dead":
            assert mask[:, col].all()
        elif row["kind"] == "partial":
            assert mask[y0:, col].all() and not mask[:y0, col].any()
        else:
            disc = np.hypot(xx - row["x"], yy - row["y"]) <= row["size"] / 2
            assert mask[disc].mean() >= 0.9
            near |= np.hypot(xx - row["x"], yy - row["y"]) <= row["size"] / 2 + 2
        if row["kind"] != "patch":
            near[y0:, max(col - 1, 0):col + 2] = True
    assert mask[~near].mean() < 1e-3


def test_flats_in_two_filters_differ_by_the_filter_component():
    """The ratio of combined flats in V and R has the truth's rms, binned 16 x 16.

    Each filter's own component is smooth, so 16 x 16 bins keep it and beat
    the noise down. A bin of the ratio scatters by ``sigma_n`` =
    sqrt(1/S_V + 1/S_R) (S: its electrons, with read noise) around the true
    ratio, so the measured rms differs from the truth's by about
    ``sigma_n**2 / (2 rms)`` (bias) plus an error of ``sigma_n /
    sqrt(bins)``; allowed: 5 of that error plus the bias.
    """
    cam = Camera(shape=(256, 256), **PLAIN, vignetting=0.1, prnu=0.01, filter_flat=0.02)
    fr, fv = (_combined(cam, 3, 5.0, 20000.0, seed=2, filter=f) for f in ("R", "V"))
    sr, sv = _bins(fr) * 3, _bins(fv) * 3  # electrons of all three frames
    var_r, var_v = sr + 256 * 3 * 5.0**2, sv + 256 * 3 * 5.0**2
    measured = sv / sr
    measured /= measured.mean()
    truth = _bins(cam.flat_for("V")) / _bins(cam.flat_for("R"))
    truth /= truth.mean()
    sigma_n = np.sqrt(np.mean(var_r / sr**2 + var_v / sv**2))
    rms_m, rms_t = measured.std(), truth.std()
    assert rms_t > 0.02  # two independent 2% patterns
    assert abs(rms_m - rms_t) < 5 * sigma_n / np.sqrt(measured.size) + sigma_n**2 / rms_t
    # Bin by bin too: the truth within 5 sigma everywhere.
    assert np.abs(measured - truth).max() < 5 * sigma_n


def test_flat_is_the_same_in_every_filter_without_the_filter_component():
    """``filter_flat`` 0: one flat, one set of pixels, whatever the filter."""
    cam = Camera(shape=(64, 80), vignetting=0.1, dust_spots=3, prnu=0.01, thinning=0.02)
    assert cam.flat_for("R") is cam.flat_map and cam.flat_for("V") is cam.flat_map
    a = cam.prepare(5.0, sky=1000.0, filter="R", rng=3).frame().data
    b = cam.prepare(5.0, sky=1000.0, filter="V", rng=3).frame().data
    assert np.array_equal(a, b)
    c = Camera(shape=(64, 80), filter_flat=0.02)
    assert not np.array_equal(c.flat_for("R"), c.flat_for("V"))
    assert np.array_equal(c.flat_for("R"), Camera(shape=(64, 80), filter_flat=0.02).flat_for("R"))
    assert abs(c.flat_for("R").mean(dtype=float) - 1) < 1e-6


def test_shutter_offsets_measured_from_a_short_and_a_long_flat():
    """The ratio of a 1 s and a 30 s flat of one lamp gives each bin's exposure offset.

    A bin collects S = g r (t + o) electrons (uniform flat; ``o`` the bin's
    mean offset), so the ratio R = S_1 / S_30 = (1 + o) / (30 + o) gives
    o = (30 R - 1) / (1 - R). Poisson and read noise: var(S) = S + pixels x
    5**2; dR = R sqrt(var_1/S_1**2 + var_30/S_30**2); do = 29 dR / (1 - R)**2
    (about 2 ms for 16 x 16 bins, against offsets up to 0.26 s). The
    normalised residuals z must then be N(0, 1): |mean| < 4/sqrt(bins),
    std in [0.8, 1.2] (its standard error is 0.044), and max |z| < 5.5.
    """
    cam = Camera(shape=(256, 256), **PLAIN, shutter_delay=0.2, shutter_kind="iris",
                 shutter_blades=5)
    rate = 1000.0  # ADU/s from the lamp
    s1, s30 = _bins(_light(cam, 1.0, rate * 1, 4)), _bins(_light(cam, 30.0, rate * 30, 5))
    ratio = s1 / s30
    o = (30 * ratio - 1) / (1 - ratio)
    truth = _bins(offset_map(cam.shape, 0.2, "iris", 5).astype(float)) / 256
    var1, var30 = s1 + 256 * 25.0, s30 + 256 * 25.0
    d_ratio = ratio * np.sqrt(var1 / s1**2 + var30 / s30**2)
    z = (o - truth) / (29 * d_ratio / (1 - ratio) ** 2)
    assert truth.min() < -0.2  # the corners lose more than the delay (starfish)
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert 0.8 < z.std() < 1.2 and np.abs(z).max() < 5.5


def test_shutter_scale_blade_zero_time_and_off():
    """A blade is linear in x; no light at t = 0; no scale with an ideal shutter."""
    blade = Camera(shape=(4, 11), shutter_delay=1.0, shutter_kind="blade")
    assert np.allclose(light_scale(blade, 2.0), (2.0 - np.arange(11) / 10)[None, :] / 2.0)
    assert not light_scale(blade, 0.0).any()
    assert light_scale(blade, 0.5).min() == 0  # uncovered after it closed: no light
    assert light_scale(Camera(shape=(4, 11)), 2.0) is None


def test_night_truth_has_the_filters_flat_shutter_and_cosmetics():
    """truth/flat.fits is the flat of the night's filter; shutter and cosmetics files exist."""
    cam = Camera(shape=(32, 40), filter_flat=0.05, dead_columns=1, low_patches=1,
                 shutter_delay=0.1)
    plan = ccdsim.plan_night(cam, n_bias=0, n_dark=0, n_flat=1, n_science=0, filter="V",
                             seed=1)
    maps = truth_maps(plan)
    assert np.array_equal(maps["flat.fits"][0].data, cam.flat_for("V"))
    assert not np.array_equal(maps["flat.fits"][0].data, cam.flat_map)
    assert np.array_equal(maps["shutter.fits"][0].data, offset_map((32, 40), 0.1, "iris", 6))
    table = maps["flat-cosmetics.fits"]["TRUTH"].data
    assert list(table["kind"]) == ["dead", "patch"]
    flat = ccdsim.plans.make.run_frame(plan, 0)
    assert flat.exposure.filter == "V"


@pytest.mark.parametrize("option, bad", [
    ("--dead-columns", "-1"), ("--partial-columns", "1.5"), ("--low-patches", "-2"),
    ("--patch-size", "0"), ("--patch-depth", "1.5"), ("--thinning", "0.9"),
    ("--filter-flat", "-0.1"), ("--shutter-delay", "-1"), ("--shutter-blades", "0"),
    ("--shutter-kind", "slit")])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, option, bad):
    """Each new option refuses a bad value in one line that names it, writing nothing."""
    assert main(["image", str(tmp_path / "a.fits"), "--shape", "20", "20", option, bad]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ccdsim: error: {option}"), lines
    assert list(tmp_path.iterdir()) == []
    if option == "--shutter-kind":
        assert "iris, blade" in lines[0]

"""Flat field, cosmic rays, full well, overscan and the DQ bits, in the README model's order.

Tolerances are 5 standard errors of the quantity tested, as in
test_statistics.py.
"""

import numpy as np
import pytest
from astropy.table import Table

from ccdsim import Camera
from ccdsim.physics.fullwell import bleed_columns
from ccdsim.physics.cosmics import cosmic_ray_table, expected_count, render_cosmic_rays
from ccdsim.core.quality import DQ

Z = 5.0
QUIET = dict(bad_columns=0, hot_pixel_fraction=0)


def test_flat_map_mean_one_and_its_parts():
    cam = Camera(shape=(400, 600), vignetting=0.2, dust_spots=5, prnu=0.01)
    flat = cam.flat_map
    assert flat.shape == (400, 600) and flat.dtype == np.float32
    assert flat.mean(dtype=float) == pytest.approx(1.0, abs=1e-6)
    # vignetting: corners about 20% below the centre
    centre = flat[190:210, 290:310].mean()
    corner = flat[:10, :10].mean()
    assert corner / centre == pytest.approx(0.8, abs=0.03)
    # PRNU: pixel-to-pixel differences have rms sqrt(2) x 1% (smooth parts cancel)
    d = np.diff(Camera(shape=(400, 600), prnu=0.01).flat_map, axis=1)
    assert np.std(d) == pytest.approx(0.01 * np.sqrt(2), rel=Z * np.sqrt(1 / (2 * d.size)))


def test_flat_defects_belong_to_the_camera_one_stream_per_kind():
    a = Camera(shape=(200, 200), dust_spots=4, prnu=0.01, camera_seed=3)
    b = Camera(shape=(200, 200), dust_spots=4, prnu=0.01, camera_seed=3)
    np.testing.assert_array_equal(a.flat_map, b.flat_map)
    c = Camera(shape=(200, 200), dust_spots=4, prnu=0.01, camera_seed=4)
    assert not np.array_equal(a.flat_map, c.flat_map)
    # more dust leaves the PRNU alone, and the flat leaves the other defects alone
    prnu_only = Camera(shape=(200, 200), prnu=0.01, camera_seed=3).flat_map
    more_dust = Camera(shape=(200, 200), dust_spots=9, prnu=0.01, camera_seed=3).flat_map
    # their ratio is the dust alone (and the normalisation): no pixel-to-pixel noise
    ratio = more_dust / prnu_only
    assert np.median(np.abs(np.diff(ratio, axis=1))) < 1e-6
    np.testing.assert_array_equal(Camera(shape=(200, 200), camera_seed=3).bias_map, a.bias_map)
    np.testing.assert_array_equal(Camera(shape=(200, 200), camera_seed=3).hot_pixel_mask,
                                  a.hot_pixel_mask)


def test_flat_multiplies_light_not_dark_or_bias():
    """Dark frames are the same with and without a flat field; light frames scale."""
    plain = Camera(shape=(256, 256), **QUIET)
    flat = Camera(shape=(256, 256), vignetting=0.5, prnu=0.02, **QUIET)
    np.testing.assert_array_equal(plain.expose(100, rng=1).data, flat.expose(100, rng=1).data)
    np.testing.assert_array_equal(plain.expose(0, rng=1).data, flat.expose(0, rng=1).data)
    sky = 1000.0
    light = flat.expose(1, sky=sky, quantize=False, rng=2).data.astype(float)
    # (frame - bias - dark) / flat has the sky's mean; scatter per pixel sqrt(1000 + 25)
    f = flat.flat_map.astype(float)
    calibrated = (light - 1100 - 0.1) / f
    # pixel i: (Poisson sky*f_i + dark 0.1 e- + read 5^2) / f_i^2; the mean's SE is sqrt(sum)/N
    se = np.sqrt(np.sum((sky * f + 0.1 + 25) / f**2)) / f.size
    assert abs(calibrated.mean() - sky) < Z * se
    # and the light follows the flat: corners 50% down
    assert light[:8, :8].mean() - 1100 < 0.6 * (light[124:132, 124:132].mean() - 1100)


def test_cosmic_ray_count_scales_with_time_and_area():
    """Poisson counts: the mean of 200 draws is within 5 SE of rate x area x time."""
    for shape, t in (((500, 500), 100.0), ((1000, 500), 100.0), ((500, 500), 300.0)):
        mu = expected_count(shape, t, 0.05, 15.0)
        counts = [len(cosmic_ray_table(shape, t, rate=0.05, pixel_size=15.0, rng=s))
                  for s in range(200)]
        assert abs(np.mean(counts) - mu) < Z * np.sqrt(mu / 200)
    assert expected_count((1000, 1000), 1.0, 1.0, 10.0) == pytest.approx(1.0)  # 1 cm^2


def test_cosmic_rays_in_frames_from_the_frame_seed():
    cam = Camera(shape=(300, 300), cosmic_ray_rate=2.0, **QUIET)
    a = cam.expose(100, sky=10, rng=5)
    b = cam.expose(100, sky=10, rng=5)
    c = cam.expose(100, sky=10, rng=6)
    assert len(a.cosmics) > 5 and a.header["NCOSMIC"] == len(a.cosmics)
    assert a.cosmics.values_equal(b.cosmics)
    assert not np.array_equal(a.cosmics["x_start"][:3], c.cosmics["x_start"][:3])
    # Tracks are where the DQ says, and their charge is all there: the excess
    # over the background (1100 + 10 dark + 10 sky ADU) in the flagged pixels
    # equals the whole electrons the tracks left on the frame (gain 1), within
    # the background's noise, 25 + 20 + 1/12 ADU^2 per flagged pixel.
    from ccdsim.physics.cosmics import render_cosmic_rays

    hit = (a.dq & DQ.COSMIC_RAY) > 0
    assert hit.sum() >= len(a.cosmics)
    excess = a.data[hit].astype(float).sum() - 1120 * hit.sum()
    on_frame = np.rint(render_cosmic_rays(cam.shape, a.cosmics)).sum()
    assert on_frame > 0.5 * a.cosmics["electrons"].sum()
    assert abs(excess - on_frame) < Z * np.sqrt(45.1 * hit.sum())
    # No cosmic rays in a camera without them, and none in a bias (t = 0).
    assert Camera(shape=(50, 50)).expose(10, rng=1).cosmics is None
    assert len(cam.expose(0, rng=1).cosmics) == 0


def test_cosmic_ray_tracks_deposit_their_charge():
    t = Table({"x_start": [10.0, 50.0], "y_start": [20.0, 50.0], "x_end": [30.0, 50.0],
               "y_end": [20.0, 50.0], "electrons": [2000.0, 500.0]})
    img = render_cosmic_rays((100, 100), t)
    assert img.sum() == pytest.approx(2500, rel=1e-5)
    assert img[50, 50] == pytest.approx(500)
    assert np.count_nonzero(img[20]) == 21  # columns 10..30
    # off the frame, charge is lost
    off = Table({"x_start": [95.0], "y_start": [5.0], "x_end": [115.0], "y_end": [5.0],
                 "electrons": [2000.0]})
    assert render_cosmic_rays((100, 100), off).sum() < 2000 * 6 / 20 + 1


def test_bleeding_conserves_charge_along_columns():
    rng = np.random.default_rng(3)
    e = rng.poisson(100, (200, 50)).astype(np.float32)
    e[100, 10] = 5e5
    e[0, 20] = 3e5  # at the edge: turns back into the column
    e[60:63, 30] = 2e5
    e[[40, 45], 40] = 2e5  # two stars in one column: their spills meet
    before = e.sum(axis=0, dtype=float)
    touched = bleed_columns(e, 5e4)
    np.testing.assert_allclose(e.sum(axis=0, dtype=float), before, rtol=1e-6)
    assert e.max() <= 5e4
    # a 5e5 e- star fills ~10 pixels: 9 full wells plus a part on each side
    assert 9 <= np.count_nonzero(e[:, 10] >= 5e4) <= 10
    assert touched[:, 10].sum() >= 10 and not touched[:, [9, 11]].any()
    assert np.count_nonzero(e[:, 20] >= 5e4) == 6  # 3e5 e- + background: 6 wells + 600 e-
    # each spreads over 4 wells (40 +- 1.5, 45 +- 1.5), ending in rows 38 to 47
    np.testing.assert_array_equal(np.flatnonzero(e[:, 40] > 1000), np.arange(38, 48))


def test_full_well_in_a_frame_and_dq_bits():
    cam = Camera(shape=(256, 256), full_well=30000, gain=1.0, **QUIET)
    star = Table({"x_0": [128.0], "y_0": [128.0], "flux": [5e6]})
    f = cam.expose(1, stars=star, star_sigma=2.0, rng=1)
    col = f.data[:, 128].astype(float) - 1100
    # the column holds the star's charge: 5e6 e- (+- Poisson 2.2e3, 5 sigma)
    assert f.data[:, 120:137].astype(float).sum() - 1100 * 256 * 17 == pytest.approx(
        5e6, abs=Z * np.sqrt(5e6 + 256 * 17 * 25))
    assert np.count_nonzero(col > 29000) > 20  # bled far beyond the star's 2 px sigma
    assert (f.dq[:, 128] & DQ.FULL_WELL).sum() > 0
    # the ADC: 65535 at most, flagged
    hot = Camera(shape=(64, 64), bias_level=100, read_noise=1, dark_current=0, **QUIET)
    g = hot.expose(1, sky=1e6, rng=0)
    assert np.all(g.data == 65535) and np.all(g.dq & DQ.ADC_SATURATED)


def test_camera_dq_bits():
    cam = Camera(shape=(200, 300))
    dq = cam.expose(1, rng=1).dq
    np.testing.assert_array_equal((dq & DQ.HOT_PIXEL) > 0, cam.hot_pixel_mask)
    np.testing.assert_array_equal(np.flatnonzero(((dq & DQ.BAD_COLUMN) > 0).all(axis=0)),
                                  cam.bad_column_indices)


def test_two_stage_path_equals_one_stage_when_nothing_happens():
    """A full well nobody reaches changes no pixel (same Generators, same order)."""
    plain = Camera(shape=(300, 200))
    deep = Camera(shape=(300, 200), full_well=1e7)
    np.testing.assert_array_equal(plain.expose(100, sky=20, stars=5, rng=4).data,
                                  deep.expose(100, sky=20, stars=5, rng=4).data)


@pytest.mark.parametrize("threads", [1, 3])
def test_threads_do_not_change_two_stage_frames(threads):
    cam = Camera(shape=(400, 300), full_well=20000, cosmic_ray_rate=1.0, overscan=16,
                 vignetting=0.1, prnu=0.01, dust_spots=2)
    ref = cam.expose(100, sky=20, stars=5, max_counts=5e4, threads=2, rng=8)
    f = cam.expose(100, sky=20, stars=5, max_counts=5e4, threads=threads, rng=8)
    np.testing.assert_array_equal(f.data, ref.data)
    np.testing.assert_array_equal(f.dq, ref.dq)


def test_overscan_has_bias_and_read_noise_only():
    gain, rn = 2.0, 8.0
    cam = Camera(shape=(400, 300), overscan=40, gain=gain, read_noise=rn, dark_current=5.0,
                 cosmic_ray_rate=5.0, full_well=1e5)
    f = cam.expose(100, sky=500, stars=10, rng=2)
    assert f.data.shape == (400, 340)
    assert (f.header["DATASEC"], f.header["TRIMSEC"], f.header["BIASSEC"]) == \
        ("[1:300,1:400]", "[1:300,1:400]", "[301:340,1:400]")
    over = f.data[:, 300:].astype(float)
    n = over.size
    var = (rn / gain) ** 2 + 1 / 12
    assert abs(over.mean() - 1100) < Z * np.sqrt(var / n)
    assert abs(over.var() - var) < Z * var * np.sqrt(2 / n)
    assert not (f.dq[:, 300:] & (DQ.COSMIC_RAY | DQ.FULL_WELL)).any()
    # the data section is what it was: light and dark sit on the bias
    assert f.data[:, :300].mean() > 1100 + 500


def test_moffat_stars():
    from ccdsim import render_stars
    from ccdsim.physics.stars import MOFFAT_TAIL, moffat_alpha

    t = Table({"x_0": [100.0], "y_0": [100.0], "flux": [1e4]})
    fwhm, beta = 6.0, 3.0
    img = render_stars((201, 201), t, moffat=(fwhm, beta))
    assert img.sum() == pytest.approx(1e4 * (1 - MOFFAT_TAIL), rel=1e-4)
    # the central pixel holds the profile's mean over it; the half maximum is at FWHM/2
    alpha = moffat_alpha(fwhm, beta)
    peak = (beta - 1) / (np.pi * alpha**2) * 1e4
    assert img[100, 100] == pytest.approx(peak, rel=0.02)
    row = img[100, 100:]
    half = np.interp(0.5 * row[0], row[::-1], np.arange(row.size)[::-1])
    assert half == pytest.approx(fwhm / 2, abs=0.15)
    cam = Camera(shape=(100, 100), **QUIET)
    f = cam.expose(1, stars=Table({"x_0": [50.0], "y_0": [50.0], "flux": [1e5]}),
                   moffat=(5.0, 2.5), rng=1)
    assert f.header["MOFFWHM"] == 5.0 and "STARSIG" not in f.header

"""Stars: rendering checked against photutils, fluxes recovered with apertures."""

import numpy as np
import pytest
from astropy.table import Table
from photutils.aperture import CircularAperture, aperture_photometry
from photutils.datasets import make_model_image
from photutils.psf import CircularGaussianPRF

from ccdsim import Camera, make_star_table, render_stars

Z = 5.0


def test_render_matches_photutils_prf():
    table = make_star_table(20, (150, 200), max_counts=1000, sigma=2.5, rng=3)
    ours = render_stars((150, 200), table)
    model = CircularGaussianPRF()
    params = Table({"x_0": table["x_0"], "y_0": table["y_0"], "flux": table["flux"],
                    "fwhm": table["sigma"] * 2 * np.sqrt(2 * np.log(2))})
    ref = make_model_image((150, 200), model, params, model_shape=(41, 41))
    # float32 output; photutils evaluates in float64
    np.testing.assert_allclose(ours, ref, atol=1e-6 * table["peak"].max())


def test_star_table_follows_the_guide():
    t = make_star_table(2000, (1000, 500), max_counts=3000, sigma=4, rng=1)
    assert np.all((t["x_0"] >= 50) & (t["x_0"] <= 450))
    assert np.all((t["y_0"] >= 100) & (t["y_0"] <= 900))
    assert np.all((t["peak"] >= 300) & (t["peak"] <= 3000))
    np.testing.assert_allclose(t["flux"], 2 * np.pi * 16 * t["peak"])
    # rendered total = flux (truncation at 5 sigma loses ~4e-6)
    img = render_stars((1000, 500), t[:5])
    assert img.sum() == pytest.approx(t["flux"][:5].sum(), rel=1e-5)


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_star_fluxes_recovered_by_aperture_sums(gain):
    cam = Camera(shape=(800, 800), gain=gain, hot_pixel_fraction=0)
    frame = cam.expose(100, sky=20, stars=40, max_counts=2000, rng=31)
    truth = frame.truth
    # Subtract the true background: bias map + (dark*t + sky_e)/gain
    background = cam.bias_map + (cam.dark_map * 100 + 20 * gain) / gain
    image = frame.data.astype(float) - background
    r = 5 * 4.0  # 5 sigma holds all but 4e-6 of the light
    apertures = CircularAperture(np.transpose([truth["x_0"], truth["y_0"]]), r=r)
    phot = aperture_photometry(image, apertures)
    area = apertures.area_overlap(image)
    # Per-star scatter: photon noise flux/gain + per-pixel background variance
    bg_var = (cam.read_noise**2 + 10 + 20 * gain) / gain**2 + 1 / 12
    sigma = np.sqrt(truth["flux"] / gain + area * bg_var)
    pull = (phot["aperture_sum"] - truth["flux"]) / sigma
    assert np.all(np.abs(pull) < Z)
    # and no overall bias: the mean pull of 40 stars scatters by 1/sqrt(40)
    assert abs(np.mean(pull)) < Z / np.sqrt(len(pull))


def test_user_table_and_photon_noise():
    table = Table({"x_0": [50.0], "y_0": [60.0], "flux": [1e8]})
    cam = Camera(shape=(120, 120), read_noise=0, bias_level=0, dark_current=0, bad_columns=0,
                 hot_pixel_fraction=0)
    a = cam.expose(1, stars=table, quantize=False, rng=1).data
    b = cam.expose(1, stars=table, quantize=False, rng=2).data
    assert a.sum() == pytest.approx(1e8, rel=Z * 1e-4)  # Poisson: sqrt(1e8)/1e8
    assert not np.array_equal(a, b)  # stars have photon noise
    peak = np.unravel_index(np.argmax(a), a.shape)
    assert peak == (60, 50)

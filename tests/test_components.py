"""The guide's step-by-step functions, with the physics slips fixed."""

import numpy as np
import pytest

from ccdsim import Camera, bias, dark_current, read_noise, sky_background, stars

Z = 5.0
SHAPE = (400, 500)
N = SHAPE[0] * SHAPE[1]


def test_read_noise_in_adu():
    img = read_noise(SHAPE, 6.0, gain=2.0, rng=1)
    assert abs(img.std() - 3.0) < Z * 3.0 / np.sqrt(2 * N)
    np.testing.assert_array_equal(img, read_noise(SHAPE, 6.0, gain=2.0, rng=1))


def test_bias_matches_camera_and_is_fixed():
    img = bias(SHAPE, 1100, bad_columns=5)
    cam = Camera(shape=SHAPE)
    np.testing.assert_array_equal(img, cam.bias_map)
    assert np.count_nonzero(np.any(img != 1100, axis=0)) == 5
    assert np.all(img[:, np.all(img == 1100, axis=0)] == 1100)
    assert np.all(bias(SHAPE, 1100) == 1100)


@pytest.mark.parametrize("gain", [0.5, 2.0])
def test_dark_current_poisson_in_electrons(gain):
    img = dark_current(SHAPE, 0.2, 100, gain=gain, rng=4)
    mean_e = 20.0
    assert abs(img.mean() - mean_e / gain) < Z * np.sqrt(mean_e / N) / gain
    assert abs(img.var() - mean_e / gain**2) < Z * mean_e / gain**2 * np.sqrt(2 / N)


def test_dark_current_hot_pixels_same_as_camera():
    img = dark_current(SHAPE, 0.1, 100, hot_pixels=True, rng=1)
    cam = Camera(shape=SHAPE)
    hot = img > 5000  # 1e4 * 0.1 * 100 = 1e5 e- expected; others ~10
    np.testing.assert_array_equal(hot, cam.hot_pixel_mask)
    assert hot.sum() == 20


def test_sky_background():
    img = sky_background(SHAPE, 20, gain=1.5, rng=2)
    assert abs(img.mean() - 20) < Z * np.sqrt(20 / 1.5 / N)
    assert abs(img.var() - 20 / 1.5) < Z * (20 / 1.5) * np.sqrt(2 / N)


def test_stars_component_and_sum_matches_camera_statistics():
    img, table = stars(SHAPE, 10, max_counts=2000, rng=5)
    assert len(table) == 10
    assert img.sum() == pytest.approx(table["flux"].sum(), rel=Z / np.sqrt(table["flux"].sum()))
    # Sum of the pieces has the same background statistics as Camera.expose.
    total = (read_noise(SHAPE, 5, rng=1) + bias(SHAPE, 1100) + dark_current(SHAPE, 0.1, 100, rng=2)
             + sky_background(SHAPE, 20, rng=3))
    cam = Camera(shape=SHAPE, bad_columns=0, hot_pixel_fraction=0)
    frame = cam.expose(100, sky=20, quantize=False, rng=4).data
    for pix in (total, frame):
        assert abs(pix.mean() - 1130) < Z * np.sqrt(55 / N)
        assert abs(pix.std() - np.sqrt(55)) < Z * np.sqrt(55) / np.sqrt(2 * N)

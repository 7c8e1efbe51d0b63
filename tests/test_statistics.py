"""Frame statistics against the physics (README "The model"), tolerances from the expected scatter.

For N independent pixels the sample mean scatters by sigma/sqrt(N) and the
sample variance (near-Gaussian data) by var*sqrt(2/N). Tolerances are 5 of
those standard errors: a correct simulator fails about once in 10^6 runs.
"""

import numpy as np
import pytest

from ccdsim import Camera


Z = 5.0


def good_pixels(camera):
    """Pixels away from the camera's defects (bad columns, hot pixels)."""
    mask = ~camera.hot_pixel_mask
    mask[:, camera.bad_column_indices] = False
    return mask


def test_guide_background_mean_median_std(guide_camera_1k):
    cam = guide_camera_1k
    frame = cam.expose(100, sky=20, rng=2024)
    pix = frame.data[good_pixels(cam)].astype(float)
    n = pix.size
    # mean = bias + (dark*t + sky_e)/gain = 1100 + 10 + 20
    # var  = (read^2 + dark*t + sky_e)/gain^2 + 1/12 (ADC rounding) = 55.083
    mean_expected = 1130.0
    std_expected = np.sqrt(25 + 10 + 20 + 1 / 12)
    assert abs(pix.mean() - mean_expected) < Z * std_expected / np.sqrt(n)
    # sample-std scatter: sigma/sqrt(2N) (near-Gaussian data)
    assert abs(pix.std() - std_expected) < Z * std_expected / np.sqrt(2 * n)
    # The continuous distribution has its median 0.3 ADU below the mean
    # (Poisson skew); rounding puts 1130 in the middle: P(<=1129) ~ 0.49.
    assert np.median(pix) == 1130
    # and it is not the guide's 6.7, which forgot the dark current's shot noise
    assert pix.std() > 7.3


@pytest.mark.parametrize("gain", [0.5, 1.0, 1.7, 3.0])
def test_shot_noise_variance_is_mean_over_gain(gain):
    cam = Camera(shape=(500, 500), gain=gain, read_noise=0, bias_level=0, dark_current=0,
                 bad_columns=0, hot_pixel_fraction=0)
    sky_adu = 400.0
    frame = cam.expose(1.0, sky=sky_adu, quantize=False, rng=7)
    pix = frame.data.astype(float)
    n = pix.size
    var_expected = sky_adu / gain  # electrons Poisson: var_e = mean_e; ADU = e/gain
    assert abs(pix.mean() - sky_adu) < Z * np.sqrt(var_expected / n)
    assert abs(pix.var() / pix.mean() - 1 / gain) < Z * np.sqrt(2 / n) / gain


@pytest.mark.parametrize("gain,read_noise", [(1.0, 5.0), (2.0, 8.0), (0.7, 3.0)])
def test_read_noise_recovered_from_bias_pairs(gain, read_noise):
    cam = Camera(shape=(500, 600), gain=gain, read_noise=read_noise, dark_current=0.1)
    b1 = cam.expose(0, rng=1).data.astype(float)
    b2 = cam.expose(0, rng=2).data.astype(float)
    diff = b1 - b2  # bias map and bad columns cancel
    n = diff.size
    # var(diff)/2 = (read/gain)^2 + 1/12 from the ADC
    var_adu = diff.var() / 2 - 1 / 12
    expected = (read_noise / gain) ** 2
    assert abs(var_adu - expected) < Z * (expected + 1 / 12) * np.sqrt(2 / n)
    # The read noise itself: sqrt halves the relative error of var_adu, whose
    # standard error is (expected + 1/12) * sqrt(2/n).
    measured = gain * np.sqrt(var_adu)
    rel_se = 0.5 * (expected + 1 / 12) / expected * np.sqrt(2 / n)
    assert measured == pytest.approx(read_noise, rel=Z * rel_se)


@pytest.mark.parametrize("gain", [0.8, 2.5])
def test_photon_transfer_gives_back_gain(gain):
    """Janesick's photon transfer from two flats and two biases."""
    cam = Camera(shape=(600, 600), gain=gain, read_noise=6.0, bad_columns=5,
                 hot_pixel_fraction=0)
    level = 8000.0 / gain  # 8000 e-, well below the ADC limit
    f1, f2 = (cam.expose(1, sky=level, rng=s).data.astype(float) for s in (11, 12))
    b1, b2 = (cam.expose(0, rng=s).data.astype(float) for s in (13, 14))
    signal = f1.mean() + f2.mean() - b1.mean() - b2.mean()
    noise = (f1 - f2).var() - (b1 - b2).var()
    g = signal / noise
    # var(f1-f2) has relative scatter sqrt(2/N); it dominates the error of g
    assert g == pytest.approx(gain, rel=Z * np.sqrt(2 / f1.size))


def test_dark_current_shot_noise_in_electrons():
    """Dark current's Poisson noise lives in electrons (the guide drew it in ADU)."""
    gain = 2.0
    cam = Camera(shape=(500, 500), gain=gain, read_noise=0, bias_level=0, dark_current=2.0,
                 bad_columns=0, hot_pixel_fraction=0)
    pix = cam.expose(100, quantize=False, rng=3).data.astype(float)
    mean_e = 200.0
    assert abs(pix.mean() - mean_e / gain) < Z * np.sqrt(mean_e / gain**2 / pix.size)
    # var_ADU = mean_e / gain^2 = 50 (the guide's model gives 100)
    assert abs(pix.var() - mean_e / gain**2) < Z * (mean_e / gain**2) * np.sqrt(2 / pix.size)


def test_adc_saturates_and_clips():
    cam = Camera(shape=(64, 64), gain=1.0, bias_level=100, read_noise=50, bad_columns=0,
                 hot_pixel_fraction=0, dark_current=0)
    bright = cam.expose(1, sky=1e6, rng=0)
    assert bright.data.dtype == np.uint16 and np.all(bright.data == 65535)
    dark = Camera(shape=(64, 64), bias_level=0, read_noise=50, bad_columns=0,
                  hot_pixel_fraction=0, dark_current=0).expose(0, rng=0)
    assert dark.data.min() == 0 and np.mean(dark.data == 0) > 0.4  # half the noise is below 0
    # the data-quality mask flags exactly the pixels the ADC clipped
    from ccdsim import DQ

    for f in (bright, dark):
        np.testing.assert_array_equal((f.dq & DQ.ADC_SATURATED) > 0,
                                      (f.data == 0) | (f.data == 65535))


def test_float_output_is_not_quantised():
    cam = Camera(shape=(100, 100))
    frame = cam.expose(10, sky=5, quantize=False, rng=1)
    assert frame.data.dtype == np.float32
    assert np.any(frame.data != np.round(frame.data))

"""Noise budget: the predicted background against simulated frames, and the component split."""

import math

import numpy as np
import pytest

from ccdsim import DQ, Camera
from ccdsim.analysis.budget import background_mask, measure, predict
from ccdsim.analysis.histogram import predicted_histogram
from ccdsim.analysis.decompose import COMPONENTS, decompose


def test_guide_numbers():
    b = predict(bias_level=1100, read_noise=5, gain=1, dark_current=0.1, exposure_time=100,
                sky=20)
    assert b.mean == 1130
    assert b.std == pytest.approx(math.sqrt(25 + 10 + 20 + 1 / 12), rel=1e-12)
    assert sum(var for _, _, var in b.rows()) == pytest.approx(b.std**2, rel=1e-12)
    assert sum(mean for _, mean, _ in b.rows()) == pytest.approx(b.mean, rel=1e-12)


CASES = [  # gain e-/ADU, read noise e-, dark e-/s, sky ADU
    (1.0, 5.0, 0.1, 20.0),
    (2.5, 5.0, 0.1, 150.0),
    (0.5, 3.0, 0.0, 10.0),
    (2.0, 0.0, 0.0, 3.0),  # no read noise: the ADC rounds n/g exactly
]


@pytest.mark.parametrize("gain,read,dark,sky", CASES)
def test_predicted_histogram_matches_simulation(gain, read, dark, sky):
    """Chi-square of the background histogram against the exact predicted distribution.

    Bins with fewer than 20 expected pixels are merged into their neighbours'
    tails (left out); with k bins the statistic has mean k and std sqrt(2k), and
    we allow k + 5 sqrt(2k). The measured mean and std must lie within 5
    standard errors (sigma/sqrt(N), sigma/sqrt(2(N-1))) of the prediction.
    """
    cam = Camera(shape=(400, 400), gain=gain, read_noise=read, dark_current=dark)
    frame = cam.expose(100, sky=sky, rng=7)
    b = predict(bias_level=1100, read_noise=read, gain=gain, dark_current=dark,
                exposure_time=100, sky=sky)
    mask = background_mask(cam)
    values = frame.data[mask]
    edges = np.arange(math.floor(b.mean - 6 * b.std) - 0.5, b.mean + 6 * b.std + 1)
    observed, _ = np.histogram(values, edges)
    expected = values.size * predicted_histogram(b, edges)
    keep = expected >= 20
    k = int(keep.sum())
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    assert k >= 5
    assert chi2 < k + 5 * math.sqrt(2 * k)
    # Moments of the exact distribution; the budget's formula (1/12 for the ADC)
    # equals them unless there is no read noise to smooth the ADC's steps.
    p = predicted_histogram(b, edges)
    p /= p.sum()  # the +-6 sigma window holds all but ~1e-9
    centres = 0.5 * (edges[:-1] + edges[1:])
    exact_mean = np.sum(p * centres)
    exact_std = math.sqrt(np.sum(p * (centres - exact_mean) ** 2))
    if read > 0:
        assert exact_mean == pytest.approx(b.mean, abs=1e-4)
        assert exact_std == pytest.approx(b.std, rel=1e-4)
    mean, std, n = measure(frame.data, mask)
    assert n == values.size
    assert abs(mean - exact_mean) < 5 * exact_std / math.sqrt(n)
    assert abs(std - exact_std) < 5 * exact_std / math.sqrt(2 * (n - 1))


def test_predicted_histogram_sums_to_one_over_the_distribution():
    b = predict(bias_level=500, read_noise=4, gain=1.3, dark_current=0.2, exposure_time=60,
                sky=40)
    edges = np.arange(math.floor(b.mean - 10 * b.std) - 0.5, b.mean + 10 * b.std + 1, 3)
    p = predicted_histogram(b, edges)
    assert p.sum() == pytest.approx(1, abs=1e-9)
    centres = 0.5 * (edges[:-1] + edges[1:])
    assert np.sum(p * centres) == pytest.approx(b.mean, abs=0.05)


def test_background_mask_leaves_out_defects_and_stars():
    cam = Camera(shape=(300, 300))
    frame = cam.expose(100, sky=20, stars=10, rng=3)
    parts = decompose(frame)
    b = predict(bias_level=1100, read_noise=5, gain=1, dark_current=0.1, exposure_time=100,
                sky=20)
    mask = background_mask(cam, parts["stars"], b)
    assert not mask[cam.hot_pixel_mask].any()
    assert not mask[:, cam.bad_column_indices].any()
    for x, y in zip(frame.truth["x_0"], frame.truth["y_0"]):
        assert not mask[int(round(y)), int(round(x))]
    assert mask.sum() > 0.5 * mask.size


def test_measure_with_too_few_pixels():
    mean, std, n = measure(np.ones((3, 3)), np.zeros((3, 3), bool))
    assert n == 0 and math.isnan(mean) and math.isnan(std)


def test_components_are_the_expected_parts_and_the_noise_is_as_predicted():
    """Each part is what the camera expects; what is left (the noise) has mean 0 and the budget's std.

    Tolerances on the noise: 5 standard errors of N background pixels.
    """
    cam = Camera(shape=(300, 400), gain=1.7)
    frame = cam.expose(50, sky=30, stars=8, rng=5)
    parts = decompose(frame)
    assert tuple(parts) == COMPONENTS
    np.testing.assert_array_equal(parts["bias"], cam.bias_map)
    np.testing.assert_allclose(parts["dark"], cam.dark_map * 50 / 1.7, rtol=1e-6)
    assert np.all(parts["sky"] == 30)
    assert parts["stars"].sum() == pytest.approx(frame.truth["flux"].sum(), rel=1e-3)
    b = predict(bias_level=1100, read_noise=5, gain=1.7, dark_current=0.1, exposure_time=50,
                sky=30)
    mask = background_mask(cam, parts["stars"], b)
    noise = parts["noise"][mask]
    n = noise.size
    assert abs(noise.mean()) < 5 * b.std / math.sqrt(n)
    assert abs(noise.std(ddof=1) - b.std) < 5 * b.std / math.sqrt(2 * (n - 1))


def _chi2(values, b, flat=None):
    """Chi-square of ``values`` against the predicted histogram (bins of >= 20 expected)."""
    edges = np.arange(math.floor(b.mean - 6 * b.std) - 0.5, b.mean + 6 * b.std + 1)
    observed, _ = np.histogram(values, edges)
    expected = values.size * predicted_histogram(b, edges, flat=flat)
    keep = expected >= 20
    k = int(keep.sum())
    return float(np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])), k


FLAT_CASES = [  # gain e-/ADU, sky ADU, vignetting, dust spots, prnu
    (1.0, 20.0, 0.1, 10, 0.01),  # the night's flat under the guide's sky
    (1.5, 3000.0, 0.1, 10, 0.01),  # bright sky: the flat's spread is most of the variance
    (2.0, 400.0, 0.5, 30, 0.03),  # a wide flat: many groups in the mixture
]


@pytest.mark.parametrize("gain,sky,vig,dust,prnu", FLAT_CASES)
def test_budget_with_a_flat_matches_simulation(gain, sky, vig, dust, prnu):
    """With a flat, mean = bias + (dark t + sky_e <f>)/g, var adds sky_e^2 var(f)/g^2.

    <f> and var(f) are taken over the measured pixels from the camera's flat map.
    Given the (fixed) flat, the pixels are independent with different means,
    so the sample mean and std scatter no more than the Gaussian standard
    errors sigma/sqrt(N) and sigma/sqrt(2(N-1)) of the total sigma (see
    ccdsim.analysis.budget); we allow 5 of them. The histogram's chi-square over k bins
    must stay below k + 5 sqrt(2k).
    """
    cam = Camera(shape=(400, 400), gain=gain, vignetting=vig, dust_spots=dust, prnu=prnu)
    frame = cam.expose(100, sky=sky, rng=11)
    mask = background_mask(cam, dq=frame.dq)
    f = cam.flat_map[mask].astype(np.float64)
    b = predict(bias_level=1100, read_noise=5, gain=gain, dark_current=0.1, exposure_time=100,
                sky=sky, flat=f)
    sky_e = sky * gain
    mean_pred = 1100 + (10 + sky_e * f.mean()) / gain
    var_pred = (25 + 10 + sky_e * f.mean() + sky_e**2 * f.var()) / gain**2 + 1 / 12
    assert b.mean == pytest.approx(mean_pred, rel=1e-12)
    assert b.std == pytest.approx(math.sqrt(var_pred), rel=1e-12)
    assert sum(var for _, _, var in b.rows()) == pytest.approx(var_pred, rel=1e-12)
    mean, std, n = measure(frame.data, mask)
    se_mean, se_std = b.std / math.sqrt(n), b.std / math.sqrt(2 * (n - 1))
    assert abs(mean - b.mean) < 5 * se_mean
    assert abs(std - b.std) < 5 * se_std
    chi2, k = _chi2(frame.data[mask], b, flat=f)
    assert k >= 5 and chi2 < k + 5 * math.sqrt(2 * k)
    if sky >= 400:  # here leaving out the flat's spread would be caught
        flat_less = math.sqrt(var_pred - sky_e**2 * f.var() / gain**2)
        assert abs(std - flat_less) > 10 * se_std


def test_predicted_histogram_needs_the_flat_values():
    b = predict(bias_level=100, read_noise=3, gain=1, dark_current=0, exposure_time=1, sky=50,
                flat=[0.9, 1.1])
    with pytest.raises(ValueError, match="flat"):
        predicted_histogram(b, np.arange(50.5, 250))
    p = predicted_histogram(b, np.arange(50.5, 250), flat=[0.9, 1.1])
    assert p.sum() == pytest.approx(1, abs=1e-9)


def test_cosmic_rays_are_left_out_by_dq():
    """Pixels with the COSMIC_RAY bit are not background; the rest follow the budget.

    Tolerances: 5 standard errors, as above. Keeping the hit pixels would move
    the std far outside them (checked, so the test can fail).
    """
    cam = Camera(shape=(400, 400), cosmic_ray_rate=3.0)
    frame = cam.expose(100, sky=20, rng=4)
    hit = (frame.dq & DQ.COSMIC_RAY) > 0
    assert len(frame.cosmics) > 50 and hit.sum() > 200
    mask = background_mask(cam, dq=frame.dq)
    assert not mask[hit].any()
    assert mask.sum() == (background_mask(cam) & ~hit).sum()
    b = predict(bias_level=1100, read_noise=5, gain=1, dark_current=0.1, exposure_time=100,
                sky=20)
    mean, std, n = measure(frame.data, mask)
    assert abs(mean - b.mean) < 5 * b.std / math.sqrt(n)
    assert abs(std - b.std) < 5 * b.std / math.sqrt(2 * (n - 1))
    _, std_all, n_all = measure(frame.data, background_mask(cam))
    assert abs(std_all - b.std) > 20 * b.std / math.sqrt(2 * (n_all - 1))


def test_components_with_flat_and_cosmic_rays():
    """Sky and stars reach the pixels times the flat; cosmic rays are their tracks' charge."""
    cam = Camera(shape=(300, 300), gain=2.0, vignetting=0.1, dust_spots=10, prnu=0.01,
                 cosmic_ray_rate=2.0)
    frame = cam.expose(100, sky=50, stars=5, rng=8)
    parts = decompose(cam, frame, 100, 50)
    assert tuple(parts) == COMPONENTS
    np.testing.assert_allclose(parts["sky"], 50 * cam.flat_map, rtol=1e-6)
    hits = parts["cosmic rays"]
    assert np.array_equal(hits > 0, (frame.dq & DQ.COSMIC_RAY) > 0)
    # Charge on the frame (whole electrons, / gain): all of it, but what fell off the edges.
    assert hits.sum() * 2.0 <= frame.cosmics["electrons"].sum() + len(frame.cosmics)
    assert hits.sum() * 2.0 > 0.5 * frame.cosmics["electrons"].sum()


def test_decompose_needs_only_the_frame():
    """A frame knows what made it; the older call must agree with it, or is refused."""
    from ccdsim import ParameterError

    cam = Camera(shape=(64, 64))
    frame = cam.expose(30, sky=12, stars=3, rng=2)
    alone = decompose(frame)
    legacy = decompose(cam, frame, 30, 12)
    for name in COMPONENTS:
        np.testing.assert_array_equal(alone[name], legacy[name])
    with pytest.raises(ParameterError, match="other than those that made the frame"):
        decompose(cam, frame, 31, 12)
    with pytest.raises(ParameterError, match="other than those that made the frame"):
        decompose(Camera(shape=(64, 64), gain=2), frame, 30, 12)
    frame.exposure = None  # as a frame read from a file
    with pytest.raises(ParameterError, match="made by ccdsim here"):
        decompose(frame)


# --- one model of step 1: the engine's own, every personality included ---------------------

def _every_effect_frame(name, seed):
    """A frame of a real camera with every personality on (no stars: all background)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_steps import EVERY_EFFECT

    from ccdsim.camera.named import camera_parameters

    params = {**camera_parameters(name), **EVERY_EFFECT, "shape": (512, 400),
              "cosmic_ray_rate": 0.05, "full_well": None}
    cam = Camera(**params)
    ny, nx = cam.shape
    sky = 60.0 + 20.0 * np.linspace(0, 1, nx)[None, :] * np.ones((ny, 1))
    charge = np.random.default_rng(seed).uniform(0, 5, (ny, nx))  # persistence, as plans give it
    return cam.prepare(120.0, sky=sky, stars=0, charge=charge, filter="R", clock=7200.0,
                       rng=seed).frame()


@pytest.mark.parametrize("name", ["thermoelectric", "cryogenic"])
def test_parts_sum_to_the_engines_expectation(name):
    from ccdsim.analysis.decompose import expected_parts

    frame = _every_effect_frame(name, 3)
    parts = expected_parts(frame.exposure)
    np.testing.assert_allclose(parts["sky"] + parts["stars"] + parts["dark"], parts["total"],
                               rtol=1e-12, atol=1e-9)
    # ... and step 1 is the engine's: the expectation of the exposure itself.
    np.testing.assert_array_equal(parts["total"], frame.exposure.expected(0, 512))
    # decompose's parts sum to the data (to float32 rounding), noise included.
    dec = decompose(frame)
    total = sum(dec.values())
    np.testing.assert_allclose(total, frame.data[:512, :400].astype(np.float32), atol=0.05)


@pytest.mark.parametrize("name", ["thermoelectric", "cryogenic"])
@pytest.mark.parametrize("seed", [1, 2])
def test_budget_predicts_real_cameras_frames(name, seed):
    """Glow, a hot-pixel population, the shutter, per-filter flats, bias structure and offset,
    persistence: the predicted std and mean match the measured ones within 3 standard errors.

    Standard errors from the measured pixels themselves: mean sigma/sqrt(N); std
    sigma sqrt((kurtosis - 1) / (4 N)), which holds for the mixture of pixels
    with different expected values that a real camera's background is.
    """
    from ccdsim.analysis.budget import predict_frame

    frame = _every_effect_frame(name, seed)
    cam = frame.exposure.camera
    mask = background_mask(cam, dq=frame.dq)
    budget = predict_frame(frame.exposure, mask)
    values = frame.data[:512, :400][mask].astype(np.float64)
    n, mean, std = values.size, values.mean(), values.std(ddof=1)
    kurtosis = np.mean((values - mean) ** 4) / np.mean((values - mean) ** 2) ** 2
    se_mean, se_std = std / np.sqrt(n), std * np.sqrt((kurtosis - 1) / (4 * n))
    assert abs(budget.mean - mean) < 3 * se_mean, (budget.mean, mean, se_mean)
    assert abs(budget.std - std) < 3 * se_std, (budget.std, std, se_std)
    # The personalities matter: a budget of the parameters alone misses them.
    names = [t.name for t in budget.terms()]
    assert "bias and dark from pixel to pixel" in names and budget.flat_var > 0

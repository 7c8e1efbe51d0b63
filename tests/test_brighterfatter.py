"""Brighter-fatter: a photon-transfer series, stars and their flux, measured as users measure them.

Statistical tolerances come from the expected scatter of each estimate; deterministic ones
from the arithmetic or the model. Each is stated where used.
"""

import galsim
import numpy as np
import pytest
from photutils.aperture import CircularAperture, aperture_photometry
from photutils.morphology import data_properties

from ccdsim.core.kernels import add_gaussian_stars
from ccdsim.physics.transfer.brighterfatter import (DEFAULT_FULL_WELL, DEFAULT_RADIUS, bf_kernel,
                                                     brighter_fatter, flat_covariances,
                                                     max_strength)

STRENGTH = 2.4e-6  # Astier et al. 2019's e2v CCD: a_00 = -2.4e-6 per e-
R = DEFAULT_RADIUS


def _star(flux, sigma, size=41):
    """A pixel-integrated round Gaussian in the middle of a ``size`` stamp (expected e-)."""
    out = np.zeros((size, size))
    c = np.array([size // 2], dtype=float)
    add_gaussian_stars(out, 0, c, c, np.array([float(flux)]), np.array([float(sigma)]), 10.0)
    return out


def _moments(a):
    """Second moments along columns (x) and rows (y), px²."""
    y, x = np.indices(a.shape)
    f = a.sum()
    cx, cy = (a * x).sum() / f, (a * y).sum() / f
    return np.array([(a * (x - cx) ** 2).sum() / f, (a * (y - cy) ** 2).sum() / f])


def test_truth_is_astiers_area_coefficients():
    a = bf_kernel(STRENGTH)
    assert a.shape == (2 * R + 1, 2 * R + 1)
    assert a[R, R] == pytest.approx(-STRENGTH, rel=1e-9)
    assert abs(a.sum()) < 1e-12 * STRENGTH  # charge conserved: areas sum to the array's
    np.testing.assert_array_equal(a, a.T)
    np.testing.assert_array_equal(a, a[::-1, ::-1])
    near = a[R - 3:R + 4, R - 3:R + 4].copy()
    near[3, 3] = 1.0
    assert (near > 0).all()  # every neighbour within 3 px grows
    # Falls as r^-3: the nearest ring over the diagonal is 2^1.5.
    assert a[R, R + 1] / a[R + 1, R + 1] == pytest.approx(2 ** 1.5, rel=0.05)
    # To first order in mu a, a flat's covariances are mu (delta + mu a): at 100 e- the
    # second-order term is ~mu |a_00| / 2 ~ 1e-4 of the first.
    mu = 100.0
    delta = np.zeros((3, 3))
    delta[0, 0] = 1.0
    np.testing.assert_allclose((flat_covariances(mu, STRENGTH) - delta) / mu,
                               a[R:R + 3, R:R + 3], rtol=1e-3)


def _pair_covariances(f1, f2, lags):
    """Variance and covariances of a flat pair as a photon-transfer curve takes them:
    half of those of the difference (which removes the fixed pattern), e-²."""
    d = f1 - f2
    d = d - d.mean()
    out = []
    for i, j in lags:
        a, b = d[:d.shape[0] - i, :d.shape[1] - j], d[i:, j:]
        out.append((a * b).mean() / 2)
    return np.array(out), d.size


def test_photon_transfer_series_matches_the_predicted_covariances():
    rng = np.random.default_rng(20190902)
    lags = [(0, 0), (0, 1), (1, 0), (1, 1)]
    margin = R + 1  # the prediction holds away from the edges
    levels = [1e4, 3e4, 6e4, 1e5, 1.5e5]
    measured = []
    for mu in levels:
        f1, f2 = (brighter_fatter(rng.poisson(mu, (500, 500)), STRENGTH)[margin:-margin,
                                                                         margin:-margin]
                  for _ in range(2))
        mean = 0.5 * (f1.mean() + f2.mean())
        c, n = _pair_covariances(f1, f2, lags)
        c = c / mean
        pred = flat_covariances(mean, STRENGTH)
        pred = np.array([pred[i, j] for i, j in lags])
        # Standard errors: the pair difference d has variance 2 C00; the mean of N products
        # d_x d_x+l (nearly uncorrelated, their correlations are ~1e-3 here) has variance
        # (2 C00)² / N, that of d² 2 (2 C00)² / N. Halved, over the mean:
        se = c[0] / np.sqrt(n) * np.array([np.sqrt(2), 1, 1, 1])
        assert np.all(np.abs(c - pred) < 4 * se), (mu, c, pred, se)
        measured.append((c, se))
    var = np.array([m[0][0] for m in measured])
    assert np.all(np.diff(var) < 0)  # steps of 0.05 to 0.1, each > 10 standard errors
    c_top, se_top = measured[-1]
    assert var[-1] < 0.75  # the variance deficit: 0.69 predicted at 1.5e5 e-
    for k in (1, 2, 3):  # the neighbours' covariances rise, far beyond their scatter
        assert c_top[k] - measured[0][0][k] > 10 * se_top[k]


def test_strength_zero_changes_nothing():
    rng = np.random.default_rng(1)
    counts = rng.poisson(5e4, (60, 70))
    for electrons in (counts, counts.astype(float)):
        out = brighter_fatter(electrons, 0.0)
        assert out.dtype == np.float64 and out is not electrons
        np.testing.assert_array_equal(out, counts.astype(float))


def _star_field(rng, shape=(600, 500), n=60):
    """Stars from faint to far above the full well on a sky, drawn (e-)."""
    expected = np.full(shape, 200.0)
    x, y = rng.uniform(10, shape[1] - 10, n), rng.uniform(10, shape[0] - 10, n)
    flux = 10 ** rng.uniform(3, 7.5, n)
    add_gaussian_stars(expected, 0, x, y, flux, rng.uniform(1.0, 3.0, n), 8.0)
    return rng.poisson(expected)


def test_flux_is_conserved_and_no_pixel_goes_negative():
    rng = np.random.default_rng(3)
    field = _star_field(rng)
    assert field.max() > 2 * DEFAULT_FULL_WELL  # saturated stars included
    flat = rng.poisson(1.2e5, (300, 400))
    for counts in (field, flat):
        before = counts.copy()
        out = brighter_fatter(counts, STRENGTH)
        np.testing.assert_array_equal(counts, before)  # the input is left alone
        # Each boundary's flow is added once and subtracted once, exactly: only the
        # summation rounds (~1e-16 per pixel).
        assert abs(out.sum() / counts.sum() - 1) < 1e-12
        assert out.min() >= 0
        np.testing.assert_array_equal(out, brighter_fatter(counts.astype(float), STRENGTH))


def test_strength_bound_keeps_every_pixel_positive_and_is_enforced():
    # The worst charge patterns: pixels empty, nearly empty or full, at random.
    rng = np.random.default_rng(4)
    top = max_strength()
    for _ in range(5):
        q = rng.choice([0.0, 1.0, 30.0, DEFAULT_FULL_WELL], size=(200, 200))
        out = brighter_fatter(q, top)
        assert out.min() > -1e-9  # at the bound a pixel may just reach 0 (rounding)
    with pytest.raises(ValueError, match="brighter_fatter"):
        brighter_fatter(q, 1.01 * top)
    assert max_strength(full_well=1e5) == pytest.approx(2 * top)


def test_stars_grow_with_peak_and_keep_their_flux():
    peaks = [1e3, 2e4, 5e4, 1e5, 1.5e5]
    sigma = 1.5
    unit = _star(1.0, sigma)
    widths, growth = [], []
    for peak in peaks:
        star = unit * (peak / unit.max())
        out = brighter_fatter(star, STRENGTH)
        props = data_properties(out)
        widths.append(props.semimajor_axis.value)
        aperture = CircularAperture((props.x_centroid, props.y_centroid), r=12.0)
        before = aperture_photometry(star, aperture)["aperture_sum"][0]
        after = aperture_photometry(out, aperture)["aperture_sum"][0]
        # No noise: the only change is charge moved, at most a few px, inside the aperture.
        assert after == pytest.approx(before, rel=1e-3)
        growth.append(_moments(out).mean() / _moments(star).mean() - 1)
        assert props.semimajor_axis.value == pytest.approx(props.semiminor_axis.value,
                                                           rel=1e-9)  # stays round
    assert np.all(np.diff(widths) > 0)
    # Stars broaden linearly with brightness (Guyonnet et al. 2015). Here exactly: scaling
    # an image by k scales every flow by k² (below the full well), so the relative growth
    # of the second moment is proportional to the peak, to rounding.
    assert growth[-1] > 0.02  # 2.4% at 1.5e5 e-
    np.testing.assert_allclose(np.array(growth) / np.array(peaks), growth[-1] / peaks[-1],
                               rtol=1e-6)


def test_threads_never_change_the_pixels():
    rng = np.random.default_rng(5)
    counts = _star_field(rng, shape=(1003, 301), n=40)
    one = brighter_fatter(counts, STRENGTH, threads=1)
    for threads in (2, 3, 7):
        np.testing.assert_array_equal(brighter_fatter(counts, STRENGTH, threads=threads), one)
    out = np.full(counts.shape, np.nan)  # whatever it held before (a camera's scratch array)
    assert brighter_fatter(counts, STRENGTH, out=out) is out
    np.testing.assert_array_equal(out, one)
    f = counts.astype(float)
    for bad in (np.empty(counts.shape, np.float32), f):  # not float64; the input itself
        with pytest.raises(ValueError, match="out must be"):
            brighter_fatter(f, STRENGTH, out=bad)


def test_galsim_silicon_sensor_agrees():
    """GalSim's electrostatic model of a thick LSST ITL CCD, as an independent reference.

    Not a statistical tolerance: the two models differ (GalSim's is anisotropic, its
    reach ~4 px), so they agree to ~10%; a model without the build-up factor, or with
    nearest neighbours only, would be off by a factor 1.8 or 0.4 and fail.
    """
    sensor = galsim.SiliconSensor(rng=galsim.BaseDeviate(7))
    # Its area coefficients: pixel areas around one charged pixel.
    image = galsim.ImageD(21, 21, init_value=0.0)
    image.array[10, 10] = 1e5
    a_gs = (sensor.calculate_pixel_areas(image).array - 1.0) / 1e5
    a00 = -a_gs[10, 10]
    assert 0.5e-6 < a00 < 3e-6
    assert abs(a_gs.sum()) < 1e-3 * a00
    assert (np.delete(a_gs[7:14, 7:14].ravel(), 24) > 0).all()
    ours = bf_kernel(a00)
    # Averaged over directions (GalSim's: 0.07 |a00| along rows, 0.18 along columns).
    nearest = 0.25 * (a_gs[10, 9] + a_gs[10, 11] + a_gs[9, 10] + a_gs[11, 10])
    assert ours[R, R + 1] == pytest.approx(nearest, rel=0.1)
    assert ours[R + 1, R + 1] == pytest.approx(a_gs[11, 11], rel=0.2)

    # A bright star photon by photon, with and without the effect (same photons).
    flux = 3e6  # peak ~1.9e5 e-
    moments = []
    for strength in (1.0, 1e-6):
        silicon = galsim.SiliconSensor(strength=strength, rng=galsim.BaseDeviate(11))
        im = galsim.ImageD(41, 41, scale=1.0)
        galsim.Gaussian(sigma=1.5).withFlux(flux).drawImage(
            im, method="phot", sensor=silicon, rng=galsim.BaseDeviate(12), center=im.true_center)
        moments.append(_moments(im.array))
    growth_gs = (moments[0] - moments[1]).mean()
    # The same star (its width after diffusion), expected e-, through this model.
    star = _star(flux, np.sqrt(moments[1].mean() - 1 / 12))
    growth = (_moments(brighter_fatter(star, a00, full_well=1e6)) - _moments(star)).mean()
    # Photon noise on the difference is ~3e-4 of it (same photons in both draws).
    assert growth == pytest.approx(growth_gs, rel=0.2)

"""The predicted histogram of a frame's background: the exact distribution a budget implies.

Each pixel's value is bias + (Poisson electrons + Gaussian read noise) /
gain, rounded by the ADC; with a flat field the pixels are a mixture, one
Poisson mean per group of similar sensitivities.
"""

import numpy as np

from ..core.extras import require

# SciPy comes with the explorer extra, this module's only user in ccdsim. Its
# vectorised normal CDF and Poisson pmf are not worth re-deriving here: numpy
# has no erfc, and a pmf from exp(k log(lam) - lam - lgamma(k + 1)) loses
# digits exactly where the histogram is compared with a million pixels.
ndtr = require("scipy.special", "explorer", "ccdsim.analysis.histogram").ndtr
poisson = require("scipy.stats", "explorer", "ccdsim.analysis.histogram").poisson

__all__ = ["predicted_histogram"]

# Above this many expected electrons the Poisson is replaced by a normal
# distribution of the same mean and variance (the difference is far below
# what a histogram of a million pixels can show).
_NORMAL_ABOVE = 1e4
# Largest (values x electron counts) table summed exactly; beyond, the normal form.
_MAX_TERMS = 4_000_000
# The flat's values are grouped in steps of this fraction of a pixel's noise
# for the predicted histogram (a mixture over pixels); the spread left inside a
# group adds at most (0.1)^2/12 of the variance, far below what a histogram shows.
_FLAT_STEP = 0.1
# At most this many groups (a wide flat under a bright sky); the spread left in
# a group then stays below 1/256 of the flat's, (1/256)^2 of its variance.
_MAX_GROUPS = 256


def _pmf_integers(budget, k, lam, max_terms=_MAX_TERMS):
    """P(ADC output == k) for integer ``k`` (ADU), before clipping, with ``lam`` expected e-."""
    g, r2 = budget.gain, budget.read_e
    lo, hi = k - 0.5 - budget.bias, k + 0.5 - budget.bias  # ADU window around the bias
    spread = 10 * np.sqrt(lam) + 10
    n = np.arange(max(0, int(lam - spread)), int(lam + spread) + 1)
    if lam > _NORMAL_ABOVE or n.size * k.size > max_terms:
        s = np.sqrt(lam + r2) / g
        return ndtr((hi - lam / g) / s) - ndtr((lo - lam / g) / s)
    # Sum over the number of electrons n: P(n) * P(read noise puts n/g + R/g in the window).
    pn = poisson.pmf(n, lam) if lam > 0 else (n == 0).astype(float)
    if r2 == 0:
        # No read noise: the ADC rounds n/g + bias exactly as `readout.digitize` does
        # (float32, halves to even), which a window [k-1/2, k+1/2) would get wrong.
        adu = np.rint(n.astype(np.float32) / np.float32(g) + np.float32(budget.bias))
        return np.array([pn[adu == kk].sum() for kk in k])
    r = np.sqrt(r2)
    inside = ndtr((g * hi[:, None] - n[None, :]) / r) - ndtr((g * lo[:, None] - n[None, :]) / r)
    return inside @ pn


def _flat_groups(budget, flat):
    """Expected electrons and weights of the pixels, grouped by their flat value.

    Groups are `_FLAT_STEP` of a pixel's noise (e-) wide in expected sky (or
    wider, to make at most `_MAX_GROUPS`); each group stands at the mean of its
    pixels, so the mixture's mean is exact.
    """
    if flat is None:
        if budget.flat_var > 0:
            raise ValueError("the budget has a flat field: pass its values (flat=...)")
        return np.array([budget.dark_e + budget.sky_received_e]), np.ones(1)
    lam = budget.dark_e + budget.sky_e * np.asarray(flat, dtype=np.float64).ravel()
    if lam.size == 0:
        return np.array([budget.dark_e + budget.sky_received_e]), np.ones(1)
    spread = lam.max() - lam.min()
    step = max(_FLAT_STEP * np.sqrt(budget.read_e + lam.mean() + 1.0), spread / _MAX_GROUPS)
    group = np.floor((lam - lam.min()) / step).astype(np.int64)
    counts = np.bincount(group)
    sums = np.bincount(group, weights=lam)
    used = counts > 0
    return sums[used] / counts[used], counts[used] / lam.size


def predicted_histogram(budget, edges, flat=None):
    """Expected fraction of background pixels in each histogram bin.

    Exact for the model (Poisson electrons, Gaussian read noise, gain, ADC
    rounding), not a Gaussian approximation; for ``quantized=False`` a normal
    distribution of the predicted mean and std. With a flat field the pixels
    are a mixture, each with its own expected sky: the distribution is the
    average of the pixels' own, their flat values grouped in steps of a tenth
    of a pixel's noise.

    Parameters
    ----------
    budget : Budget
    edges : ndarray
        Bin edges, in ADU; with a quantising ADC they should sit on
        half-integers so every bin holds whole ADC values.
    flat : array_like, optional
        The flat field at the pixels histogrammed (what `predict` was given);
        required when the budget has a flat that varies.

    Returns
    -------
    ndarray, one probability per bin.
    """
    edges = np.asarray(edges, dtype=float)
    if not budget.quantized:
        s = max(budget.std, 1e-12)
        cdf = ndtr((edges - budget.mean) / s)
        return np.diff(cdf)
    k = np.arange(np.ceil(edges[0]), np.floor(edges[-1]) + 1)
    lams, weights = _flat_groups(budget, flat)
    # The exact sums' work is shared out, so many groups fall back to the normal form sooner.
    p = sum(w * _pmf_integers(budget, k, lam, _MAX_TERMS // len(lams))
            for lam, w in zip(lams, weights))
    idx = np.searchsorted(edges, k, side="right") - 1
    out = np.zeros(len(edges) - 1)
    ok = (idx >= 0) & (idx < len(out))
    np.add.at(out, idx[ok], p[ok])
    return out

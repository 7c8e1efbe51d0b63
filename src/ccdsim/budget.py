"""The noise budget of a frame's background: predicted from the parameters, and measured.

A background pixel (no star, no defect) holds, in ADU,

    bias + (N + R) / gain,   N ~ Poisson(dark * t + sky_e),   R ~ Normal(0, read_noise),

rounded by the ADC. So its mean is ``bias + dark*t/gain + sky`` and its
standard deviation ``sqrt(read^2 + dark*t + sky_e) / gain``, plus 1/12 ADU^2
from the rounding (sky_e = sky x gain, the sky in electrons).

The 1/12 is exact when read noise smooths the ADC's steps (a read noise of
1 ADU or more); without read noise the values sit on a lattice and the exact
distribution (`predicted_histogram`) differs a little (gain 2, sky 3 ADU:
std 1.271 exact against 1.258).
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr
from scipy.stats import poisson

__all__ = ["Budget", "predict", "background_mask", "measure", "predicted_histogram"]

# Above this many expected electrons the Poisson is replaced by a normal
# distribution of the same mean and variance (the difference is far below
# what a histogram of a million pixels can show).
_NORMAL_ABOVE = 1e4
# Largest (values x electron counts) table summed exactly; beyond, the normal form.
_MAX_TERMS = 4_000_000
# Starlight below this fraction of the background std (ADU) counts as background:
# it then shifts the measured mean and std by far less than their standard errors.
STAR_FRACTION = 0.001


@dataclass(frozen=True)
class Budget:
    """Predicted background of a frame, term by term.

    Parameters
    ----------
    bias, dark, sky : float
        Mean contributions, in ADU.
    read_e, dark_e, sky_e : float
        Variance contributions in electrons^2 (read noise squared; the
        dark and sky shot noise, equal to their electrons).
    gain : float
        e-/ADU.
    quantized : bool, optional
        Whether the ADC rounds (adds 1/12 ADU^2).
    """

    bias: float
    dark: float
    sky: float
    read_e: float
    dark_e: float
    sky_e: float
    gain: float
    quantized: bool = True

    @property
    def mean(self):
        """Predicted background mean, in ADU."""
        return self.bias + self.dark + self.sky

    @property
    def variance_e(self):
        """Variance before the gain and the ADC, in e-^2."""
        return self.read_e + self.dark_e + self.sky_e

    @property
    def std(self):
        """Predicted background standard deviation, in ADU (with the ADC's 1/12)."""
        return float(np.sqrt(self.variance_e / self.gain**2 + (1 / 12 if self.quantized else 0)))

    def rows(self):
        """``(term, mean ADU, variance ADU^2)`` rows, one per source of counts."""
        g2 = self.gain**2
        return [("bias", self.bias, 0.0),
                ("read noise", 0.0, self.read_e / g2),
                ("dark current", self.dark, self.dark_e / g2),
                ("sky", self.sky, self.sky_e / g2),
                ("ADC rounding", 0.0, 1 / 12 if self.quantized else 0.0)]


def predict(*, bias_level, read_noise, gain, dark_current, exposure_time, sky, quantized=True):
    """Predicted background of a frame.

    Parameters
    ----------
    bias_level : float
        ADU.
    read_noise : float
        e-.
    gain : float
        e-/ADU.
    dark_current : float
        e-/pixel/s (the normal pixels' rate; hot pixels are not background).
    exposure_time : float
        s.
    sky : float
        ADU per pixel over the exposure.
    quantized : bool, optional
        Whether the ADC rounds to integers.

    Returns
    -------
    Budget

    Examples
    --------
    >>> b = predict(bias_level=1100, read_noise=5, gain=1, dark_current=0.1,
    ...             exposure_time=100, sky=20)
    >>> round(b.mean, 2), round(b.std, 2)
    (1130.0, 7.42)
    """
    dark_e = dark_current * exposure_time
    return Budget(bias=float(bias_level), dark=dark_e / gain, sky=float(sky),
                  read_e=float(read_noise) ** 2, dark_e=float(dark_e), sky_e=float(sky) * gain,
                  gain=float(gain), quantized=quantized)


def background_mask(camera, star_adu=None, budget=None):
    """Pixels that hold background only: no hot pixel, no bad column, (almost) no star.

    Parameters
    ----------
    camera : ccdsim.Camera
        Gives the hot pixel mask and the bad columns.
    star_adu : ndarray, optional
        Expected starlight, in ADU (`ccdsim.render_stars` of the truth).
    budget : Budget, optional
        With ``star_adu``: pixels with starlight above `STAR_FRACTION` of the
        background std are left out; without it, any starlight at all.

    Returns
    -------
    ndarray of bool, True where a pixel is background.
    """
    mask = ~camera.hot_pixel_mask
    mask[:, camera.bad_column_indices] = False
    if star_adu is not None:
        limit = STAR_FRACTION * budget.std if budget is not None else 0.0
        mask &= star_adu <= limit
    return mask


def measure(data, mask):
    """Mean, standard deviation (ADU) and count of the pixels under ``mask``.

    Parameters
    ----------
    data : array_like
        The frame, in ADU.
    mask : ndarray of bool
        The pixels to measure (`background_mask`).

    Returns
    -------
    tuple
        ``(mean, std, n)``; ``(nan, nan, n)`` for fewer than two pixels.
    """
    values = np.asarray(data)[mask].astype(np.float64)
    if values.size < 2:
        return float("nan"), float("nan"), int(values.size)
    return float(values.mean()), float(values.std(ddof=1)), int(values.size)


def _pmf_integers(budget, k):
    """P(ADC output == k) for integer ``k`` (ADU), before clipping."""
    g, r2, lam = budget.gain, budget.read_e, budget.dark_e + budget.sky_e
    lo, hi = k - 0.5 - budget.bias, k + 0.5 - budget.bias  # ADU window around the bias
    spread = 10 * np.sqrt(lam) + 10
    n = np.arange(max(0, int(lam - spread)), int(lam + spread) + 1)
    if lam > _NORMAL_ABOVE or n.size * k.size > _MAX_TERMS:
        s = np.sqrt(lam + r2) / g
        return ndtr((hi - lam / g) / s) - ndtr((lo - lam / g) / s)
    # Sum over the number of electrons n: P(n) * P(read noise puts n/g + R/g in the window).
    pn = poisson.pmf(n, lam) if lam > 0 else (n == 0).astype(float)
    if r2 == 0:
        # No read noise: the ADC rounds n/g + bias exactly as `expose_pixels` does
        # (float32, halves to even), which a window [k-1/2, k+1/2) would get wrong.
        adu = np.rint(n.astype(np.float32) / np.float32(g) + np.float32(budget.bias))
        return np.array([pn[adu == kk].sum() for kk in k])
    r = np.sqrt(r2)
    inside = ndtr((g * hi[:, None] - n[None, :]) / r) - ndtr((g * lo[:, None] - n[None, :]) / r)
    return inside @ pn


def predicted_histogram(budget, edges):
    """Expected fraction of background pixels in each histogram bin.

    Exact for the model (Poisson electrons, Gaussian read noise, gain, ADC
    rounding), not a Gaussian approximation; for ``quantized=False`` a normal
    distribution of the predicted mean and std.

    Parameters
    ----------
    budget : Budget
    edges : ndarray
        Bin edges, in ADU; with a quantising ADC they should sit on
        half-integers so every bin holds whole ADC values.

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
    p = _pmf_integers(budget, k)
    idx = np.searchsorted(edges, k, side="right") - 1
    out = np.zeros(len(edges) - 1)
    ok = (idx >= 0) & (idx < len(out))
    np.add.at(out, idx[ok], p[ok])
    return out

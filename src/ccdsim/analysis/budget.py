"""The noise budget of a frame's background: predicted from the parameters, and measured.

A background pixel i (no star, no defect, no cosmic ray) holds, in ADU,

    bias + (N_i + R) / gain,   N_i ~ Poisson(dark*t + sky_e*f_i),   R ~ Normal(0, read_noise),

rounded by the ADC; sky_e = sky x gain is the sky in electrons and f_i the
flat field (sensitivity, 1 without one), which scales light only. Without a
flat, the mean is ``bias + dark*t/gain + sky`` and the standard deviation
``sqrt(read^2 + dark*t + sky_e) / gain``, plus 1/12 ADU^2 from the rounding.

With a flat, the measured pixels are a mixture: each has its own expected
sky. Over the set M of measured pixels (law of total variance, pixel i drawn
uniformly from M)

    mean     = bias + (dark*t + sky_e * <f>) / gain
    variance = (read^2 + dark*t + sky_e * <f>) / gain^2 + 1/12 + sky_e^2 var(f) / gain^2,

with <f> and var(f) the mean and (population) variance of the flat over M.
The last term is the flat's spread: the sky's expected value differs from
pixel to pixel. The flat is fixed (the camera's), so the sample variance of
the N measured pixels scatters less than that of N independent Gaussian
values of the same total variance: the Gaussian standard errors
(sigma/sqrt(N), sigma/sqrt(2(N-1))) remain safe bounds.

The 1/12 is exact when read noise smooths the ADC's steps (a read noise of
1 ADU or more); without read noise the values sit on a lattice and the exact
distribution (`predicted_histogram`) differs a little (gain 2, sky 3 ADU:
std 1.271 exact against 1.258).
"""

from dataclasses import dataclass

import numpy as np

from ..core.extras import require
from ..core.quality import DQ

# SciPy comes with the explorer extra, this module's only user in ccdsim. Its
# vectorised normal CDF and Poisson pmf are not worth re-deriving here: numpy
# has no erfc, and a pmf from exp(k log(lam) - lam - lgamma(k + 1)) loses
# digits exactly where the histogram is compared with a million pixels.
ndtr = require("scipy.special", "explorer", "ccdsim.analysis.budget").ndtr
poisson = require("scipy.stats", "explorer", "ccdsim.analysis.budget").poisson

__all__ = ["Budget", "Term", "predict", "background_mask", "measure", "predicted_histogram"]

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
# Starlight below this fraction of the background std (ADU) counts as background:
# it then shifts the measured mean and std by far less than their standard errors.
STAR_FRACTION = 0.001
# Variance of the ADC's rounding, in ADU^2: an error uniform over one ADU.
ADC_VARIANCE = 1 / 12


@dataclass(frozen=True)
class Term:
    """One source of counts of a `Budget`: what it adds to the mean and to the variance.

    Parameters
    ----------
    name : str
        The source, as `Budget.rows` names it (``"dark current"``).
    mean : float
        What it adds to the mean, in ADU.
    variance_e : float
        What it adds to the variance before the gain, in e-^2.
    mean_formula, variance_formula : str
        The same two as formulas (Unicode text) of `predict`'s parameters,
        written ``bias``, ``read``, ``dark``, ``t``, ``sky``, ``gain``;
        ``<f>`` and ``var(f)`` are the flat's mean and variance over the
        measured pixels. Empty where the term adds nothing.
    """

    name: str
    mean: float
    variance_e: float
    mean_formula: str = ""
    variance_formula: str = ""


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
    flat_mean, flat_var : float
        Mean and population variance of the flat field over the measured
        pixels (dimensionless; 1 and 0 without a flat). ``sky`` and ``sky_e``
        are the sky before the flat.
    """

    bias: float
    dark: float
    sky: float
    read_e: float
    dark_e: float
    sky_e: float
    gain: float
    quantized: bool = True
    flat_mean: float = 1.0
    flat_var: float = 0.0

    @property
    def sky_received_e(self):
        """Mean sky electrons per measured pixel after the flat (e-), and their variance (e-^2)."""
        return self.sky_e * self.flat_mean

    @property
    def flat_e(self):
        """Variance of the expected sky from pixel to pixel (the flat's spread), in e-^2."""
        return self.sky_e**2 * self.flat_var

    def terms(self):
        """The sources of counts, each with its share of the mean and of the variance.

        `mean`, `variance_e`, `rows` and `formulas` are made from these: the
        formulas shown are those computed. The flat field's own term (the
        spread of the expected sky) is there only when the flat varies.

        Returns
        -------
        list of Term
        """
        # A flat other than 1 everywhere scales the sky: "·<f>".
        f = "·⟨f⟩" if self.flat_mean != 1.0 or self.flat_var > 0 else ""
        terms = [Term("bias", self.bias, 0.0, "bias"),
                 Term("read noise", 0.0, self.read_e, variance_formula="read²"),
                 # The dark current's shot noise: its variance is its electrons.
                 Term("dark current", self.dark, self.dark_e, "dark·t/gain", "dark·t"),
                 Term("sky", self.sky * self.flat_mean, self.sky_received_e, f"sky{f}",
                      f"sky·gain{f}")]
        if self.flat_var > 0:
            terms.append(Term("flat field (sky from pixel to pixel)", 0.0, self.flat_e,
                              variance_formula="(sky·gain)²·var(f)"))
        return terms

    @property
    def adc_variance(self):
        """Variance of the ADC's rounding, in ADU^2 (0 without rounding)."""
        return ADC_VARIANCE if self.quantized else 0.0

    @property
    def mean(self):
        """Predicted background mean, in ADU."""
        return sum(t.mean for t in self.terms())

    @property
    def variance_e(self):
        """Variance before the gain and the ADC, in e-^2."""
        return sum(t.variance_e for t in self.terms())

    @property
    def std(self):
        """Predicted background standard deviation, in ADU (with the ADC's rounding)."""
        return float(np.sqrt(self.variance_e / self.gain**2 + self.adc_variance))

    def rows(self):
        """``(term, mean ADU, variance ADU^2)`` rows, one per source of counts.

        The `terms`, then the ADC's rounding.

        Returns
        -------
        list of tuple
        """
        g2 = self.gain**2
        return ([(t.name, t.mean, t.variance_e / g2) for t in self.terms()]
                + [("ADC rounding", 0.0, self.adc_variance)])

    def formulas(self):
        """The predicted mean and std as formulas, then with this budget's numbers.

        Returns
        -------
        tuple of str
            ``(mean, std)``, one line of Unicode text each, from the `terms`.

        Examples
        --------
        >>> b = predict(bias_level=1100, read_noise=5, gain=1, dark_current=0.1,
        ...             exposure_time=100, sky=20)
        >>> print(b.formulas()[0])
        mean = bias + dark·t/gain + sky = 1100 + 10 + 20 = 1130.00 ADU
        """
        terms = self.terms()
        means = [t for t in terms if t.mean_formula]
        variances = [t for t in terms if t.variance_formula]
        adc = " + 1/12" if self.quantized else ""
        mean = (f"mean = {' + '.join(t.mean_formula for t in means)} = "
                f"{' + '.join(f'{t.mean:.6g}' for t in means)} = {self.mean:.2f} ADU")
        std = (f"std = √(({' + '.join(t.variance_formula for t in variances)})"
               f"/gain²{adc}) = √(({' + '.join(f'{t.variance_e:.6g}' for t in variances)})"
               f"/{self.gain:g}²{adc}) = {self.std:.3f} ADU")
        return mean, std


def predict(*, bias_level, read_noise, gain, dark_current, exposure_time, sky, quantized=True,
            flat=None):
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
    flat : array_like, optional
        The flat field (sensitivity, the camera's `~ccdsim.Camera.flat_map`)
        at the measured pixels, e.g. ``camera.flat_map[mask]``; None: no flat.

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
    flat_mean, flat_var = 1.0, 0.0
    if flat is not None:
        f = np.asarray(flat, dtype=np.float64)
        if f.size:
            flat_mean, flat_var = float(f.mean()), float(f.var())
    return Budget(bias=float(bias_level), dark=dark_e / gain, sky=float(sky),
                  read_e=float(read_noise) ** 2, dark_e=float(dark_e), sky_e=float(sky) * gain,
                  gain=float(gain), quantized=quantized, flat_mean=flat_mean, flat_var=flat_var)


def background_mask(camera, star_adu=None, budget=None, dq=None):
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
    dq : ndarray, optional
        The frame's data-quality bits (``Frame.dq``): pixels hit by a cosmic
        ray or touched by the full well are left out too (they are not
        background, and the budget does not describe them).

    Returns
    -------
    ndarray of bool, True where a pixel is background.
    """
    mask = ~camera.hot_pixel_mask
    mask[:, camera.bad_column_indices] = False
    if dq is not None:
        mask &= (dq[camera.geometry.amplifier.data.slices] & (DQ.COSMIC_RAY | DQ.FULL_WELL)) == 0
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

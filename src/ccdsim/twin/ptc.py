"""Photon transfer: read noise from bias pairs, gain and brighter-fatter from flat pairs.

A pair's difference holds no fixed pattern (bias structure, flat field, hot
pixels): its variance is twice one frame's noise. Each row's mean is taken
off the difference first (a CMOS camera's row noise moves whole rows; for a
row of ``nx`` pixels that leaves ``var (1 - 1/nx)``, which is divided out).
For bias pairs that is the read noise, plus the converter's rounding
``step^2 / 12`` ADU^2 for integer frames (``step = 2**(16 - adc_bits)``); for
flat pairs at mean signal ``m`` (ADU above the bias) it is
``m / g + rn^2 + step^2/12`` (+ ``q m^2``, the first-order effect of nonlinearity
and brighter-fatter, fitted with four levels or more). Each pair's variance
has the standard error ``var sqrt(2 / (N - 1))`` of a Gaussian sample of N
pixels; the fit is weighted least squares, and the gain's standard error
comes from its covariance (scaled up by sqrt(chi^2 / dof) when the scatter
exceeds it). Pixels are the data section's interior (5% margins: no glow at
the edges), clipped at 5 robust sigmas (cosmic rays).

The same differences' covariances between pixels up to 2 apart
(`pair_covariances`; the whole mean taken off, not the rows': a row's mean
would take ``var / nx`` off its lags) measure brighter-fatter
(`ccdsim.twin.detector.fit_brighter_fatter`).
"""

from dataclasses import dataclass

import numpy as np

from .stack import MAD_TO_STD, median_along, read_data

__all__ = ["Measured", "interior", "pair_variance", "glowing", "PairPoint", "fit_transfer",
           "flat_pairs", "past_saturation", "LAGS", "pair_covariances"]

#: Fraction of each side of the data section left out of pair statistics.
MARGIN = 0.05
#: Lags (rows, columns) whose covariances measure brighter-fatter: up to 2 px, each
#: pair of pixels once (``(1, -1)`` and ``(1, 1)`` are two estimates of one value).
LAGS = ((0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0), (1, 2), (1, -2), (2, 1), (2, -1),
        (2, 2), (2, -2))
_COV_ROWS = 64  # rows of a band of `pair_covariances`


@dataclass(frozen=True)
class Measured:
    """A measured value with its standard error.

    Parameters
    ----------
    value : float
        The value.
    se : float
        Its standard error (NaN when it cannot be given).
    unit : str
        Its unit.
    how : str
        How it was measured and how its error was derived.
    """

    value: float
    se: float
    unit: str
    how: str

    def text(self):
        """``value +- se unit``, to the error's precision.

        Returns
        -------
        str
        """
        if not np.isfinite(self.se) or self.se <= 0:
            return f"{self.value:.6g} {self.unit}".strip()
        digits = max(0, 2 - int(np.floor(np.log10(self.se))))
        return f"{self.value:.{digits}f} +- {self.se:.{digits}f} {self.unit}".strip()


def interior(shape):
    """``(rows, columns)`` slices of the data section without its 5% margins.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.

    Returns
    -------
    tuple of slice
    """
    return tuple(slice(int(n * MARGIN), n - int(n * MARGIN)) for n in shape)


def pair_variance(a, b, ratio=1.0, step=1.0):
    """One frame's noise variance from a pair: ``var(a - ratio b) / (1 + ratio^2)``.

    Each row's mean is taken off the difference (row noise), and the
    variance divided by ``1 - 1/nx`` for it; the 5-sigma clip's sigma is at
    least the converter's step (a median absolute deviation of values in
    steps of 16 ADU can be 0).

    Parameters
    ----------
    a, b : numpy.ndarray
        The two frames' pixels (ADU above the bias), 2-D.
    ratio : float, optional
        ``mean(a) / mean(b)``: ``b`` scaled to ``a``'s level first (twilight
        flats of different levels).
    step : float, optional
        The converter's step (ADU).

    Returns
    -------
    var : float
        ADU^2.
    se : float
        Its standard error (ADU^2).
    """
    d = np.atleast_2d(a - ratio * b).astype(np.float64)
    nx = d.shape[1]
    d = (d - d.mean(axis=1, keepdims=True)).ravel()
    med = np.median(d)
    sig = max(np.median(np.abs(d - med)) * MAD_TO_STD, step)
    d = d[np.abs(d - med) <= 5 * sig]
    # A 5-sigma clip of a Gaussian keeps all but 6e-7 of it and its variance.
    var = d.var(ddof=1) / (1 + ratio ** 2) / (1 - 1 / nx)
    return float(var), float(var * np.sqrt(2.0 / (d.size - 1)))


@dataclass(frozen=True)
class PairPoint:
    """One point of the photon-transfer curve.

    Parameters
    ----------
    mean, var, se : float
        Mean signal above the bias (ADU), one frame's noise variance (ADU^2)
        and its standard error.
    exptime : float
        The pair's exposure time (s; 0 for a bias pair).
    filter : str
        Its filter.
    cov, cov_se : tuple of float
        One frame's covariances at `LAGS` and their standard errors (ADU^2;
        `pair_covariances`).
    """

    mean: float
    var: float
    se: float
    exptime: float
    filter: str
    cov: tuple = ()
    cov_se: tuple = ()


def glowing(mean):
    """Rows and columns of a bias pair's mean that glow: their shot noise is not read noise.

    A row's (column's) median more than 5 robust standard deviations of
    those medians, and 3 of the median's own noise, above their median.

    Parameters
    ----------
    mean : numpy.ndarray
        The pair's mean frame (ADU).

    Returns
    -------
    rows, columns : numpy.ndarray of bool
        True where kept.
    """
    out = []
    for axis in (1, 0):
        prof = median_along(mean, axis)
        med = np.median(prof)
        spread = np.median(np.abs(prof - med)) * MAD_TO_STD
        own = np.median(np.abs(mean - np.median(mean))) * MAD_TO_STD * 1.2533 \
            / np.sqrt(mean.shape[axis])
        out.append(prof - med <= max(5 * spread, 3 * own))
    return out[0], out[1]


def pair_points(pairs, layout, bias_map, offsets, step=1.0):
    """Photon-transfer points of frame pairs.

    Parameters
    ----------
    pairs : list of tuple
        ``(FrameInfo, FrameInfo)``.
    layout : Layout
        The data section.
    bias_map : numpy.ndarray or None
        The master bias of the data section (ADU); None for bias pairs.
    offsets : dict
        ``{path: ADU}``: each frame's own offset (drift and jitter).
    step : float, optional
        The converter's step (ADU).

    Returns
    -------
    list of PairPoint
    """
    ins = interior(layout.shape)
    out = []
    for fa, fb in pairs:
        frames = []
        for f in (fa, fb):
            d = read_data(f.path)[layout.data][ins] - offsets.get(f.path, 0.0)
            if bias_map is not None:
                d -= bias_map[ins]
            frames.append(d)
        if bias_map is None:  # glow at the edges of a bias: shot noise, not read noise
            rows, cols = glowing(0.5 * (frames[0] + frames[1]))
            frames = [d[rows][:, cols] for d in frames]
        ma, mb = (float(np.mean(d)) for d in frames)
        ratio = ma / mb if bias_map is not None and mb > 0 else 1.0
        var, se = pair_variance(frames[0], frames[1], ratio, step)
        cov, cov_se = pair_covariances(frames[0], frames[1], ratio, step)
        out.append(PairPoint(0.5 * (ma + mb) if bias_map is not None else 0.0, var, se,
                             fa.exptime, fa.filter, cov, cov_se))
    return out


def pair_covariances(a, b, ratio=1.0, step=1.0):
    """One frame's covariances at `LAGS` from a pair: those of ``a - ratio b`` over ``1 + ratio^2``.

    Pixels 5 robust sigmas off (at least the converter's step) and those
    within 2 px of them are left out (a cosmic ray's tail below the cut
    still couples its neighbours); the kept pixels' mean is taken off.

    Parameters
    ----------
    a, b : numpy.ndarray
        The two frames' pixels (ADU), 2-D.
    ratio, step : float, optional
        As `pair_variance`.

    Returns
    -------
    cov, se : tuple of float
        ADU^2, per lag; ``se`` from the products' own scatter over their number
        (neighbouring products share a pixel: their correlation, a few %, left out).
    """
    d = np.atleast_2d(a - ratio * b).astype(np.float64)
    med = np.median(d)
    sig = max(np.median(np.abs(d - med)) * MAD_TO_STD, step)
    bad = np.abs(d - med) > 5 * sig
    for axis in (0, 1):
        grown = bad.copy()
        for s in (1, 2):
            lo, hi = [slice(None)] * 2, [slice(None)] * 2
            lo[axis], hi[axis] = slice(None, -s), slice(s, None)
            grown[tuple(hi)] |= bad[tuple(lo)]
            grown[tuple(lo)] |= bad[tuple(hi)]
        bad = grown
    keep = (~bad).astype(np.float64)
    d = (d - d[~bad].mean()) * keep
    ny, nx = d.shape
    sums = np.zeros((len(LAGS), 3))  # pairs kept, sum and sum of squares of the products
    # In bands of rows that stay in cache (a 4k pair's 12 lags over whole arrays: 1.1 s).
    for r0 in range(0, ny, _COV_ROWS):
        r1 = min(r0 + _COV_ROWS, ny)
        for k, (i, j) in enumerate(LAGS):
            if r0 >= ny - i:
                continue
            sa = slice(r0, min(r1, ny - i)), slice(max(0, -j), nx - max(0, j))
            sb = slice(r0 + i, min(r1, ny - i) + i), slice(max(0, j), nx + min(0, j))
            p = d[sa] * d[sb]
            sums[k] += ((keep[sa] * keep[sb]).sum(), p.sum(), (p * p).sum())
    n, c = sums[:, 0], sums[:, 1] / sums[:, 0]
    se = np.sqrt(np.maximum(sums[:, 2] / n - c * c, 0.0) / n)
    return tuple(map(float, c / (1 + ratio ** 2))), tuple(map(float, se / (1 + ratio ** 2)))


def flat_pairs(flats):
    """Pairs of flats for photon transfer: same filter and exposure time, in time order.

    Flats that find no partner of the same exposure time (a twilight
    series) pair with the next one of their filter, their levels scaled.

    Parameters
    ----------
    flats : list of FrameInfo

    Returns
    -------
    list of tuple
    """
    pairs, left = [], []
    groups = {}
    for f in flats:
        groups.setdefault((f.filter, f.exptime), []).append(f)
    for group in groups.values():
        for i in range(0, len(group) - 1, 2):
            pairs.append((group[i], group[i + 1]))
        if len(group) % 2:
            left.append(group[-1])
    if not pairs:
        by_filter = {}
        for f in left:
            by_filter.setdefault(f.filter, []).append(f)
        for group in by_filter.values():
            group.sort(key=lambda f: (f.time or 0.0, f.name))
            pairs += [(group[i], group[i + 1]) for i in range(0, len(group) - 1, 2)]
    return pairs


def past_saturation(points, sigmas=5.0):
    """Indices of the flat pairs at or past the photon-transfer curve's turnover (saturation).

    Per filter, in order of level: once a pair's variance falls below the
    highest variance of the lower levels by more than ``sigmas`` standard
    errors (the pixels fill), that pair, every pair above it and the peak
    itself (where the brightest pixels start to fill) are past saturation.
    A series that does not turn over loses nothing.

    Parameters
    ----------
    points : list of PairPoint
        Flat pairs' points.
    sigmas : float, optional
        The fall, in the two variances' combined standard errors, taken as a turnover.

    Returns
    -------
    set of int
    """
    out = set()
    for name in {p.filter for p in points}:
        order = sorted((i for i, p in enumerate(points) if p.filter == name),
                       key=lambda i: points[i].mean)
        peak = None
        for k, i in enumerate(order):
            p = points[i]
            if peak is not None and (points[peak].var - p.var
                                     > sigmas * np.hypot(points[peak].se, p.se)):
                out |= {peak, *order[k:]}
                out |= {j for j in order if points[j].mean >= points[peak].mean}
                break
            if peak is None or p.var > points[peak].var:
                peak = i
    return out


def fit_transfer(bias_points, flat_points, step=1.0):
    """Gain and read noise from the photon-transfer points.

    Parameters
    ----------
    bias_points, flat_points : list of PairPoint
        Bias pairs (signal 0) and flat pairs.
    step : float, optional
        The converter's step (ADU; 0 for frames of floats): its rounding,
        ``step^2 / 12`` ADU^2, is taken off the read noise.

    Returns
    -------
    dict
        ``read_noise_adu`` (`Measured`), ``gain`` (`Measured`, e-/ADU, or
        None without flat pairs), ``quadratic`` (the fitted ``q``, 1/ADU, or
        None) and ``chi2`` (per degree of freedom, or None).
    """
    rounding = step ** 2 / 12
    out = {"gain": None, "quadratic": None, "chi2": None, "read_noise_adu": None}
    if bias_points:
        v = np.array([p.var for p in bias_points])
        s = np.array([p.se for p in bias_points])
        w = 1 / s ** 2
        var_b = float((w * v).sum() / w.sum())
        se_b = float(np.sqrt(1 / w.sum()))
        rn2 = max(var_b - rounding, 0.0)
        out["read_noise_adu"] = Measured(
            float(np.sqrt(rn2)), se_b / (2 * np.sqrt(max(rn2, 1e-12))), "adu",
            f"{len(bias_points)} bias pairs: sqrt(var(b1 - b2) / 2 - step^2/12), step "
            f"{step:g} ADU, rows' means taken off; SE from "
            f"var sqrt(2 / (N - 1)) per pair")
    points = list(bias_points) + list(flat_points)
    levels = len({round(p.mean, 0) for p in flat_points})
    if not flat_points or len(points) < 2:
        return out
    m = np.array([p.mean for p in points])
    v = np.array([p.var for p in points])
    s = np.array([p.se for p in points])
    cols = [np.ones_like(m), m] + ([m ** 2] if levels >= 4 else [])
    A = np.stack(cols, axis=1) / s[:, None]
    coef, *_ = np.linalg.lstsq(A, v / s, rcond=None)
    cov = np.linalg.inv(A.T @ A)
    dof = len(points) - len(cols)
    chi2 = float(((A @ coef - v / s) ** 2).sum() / dof) if dof > 0 else None
    if chi2 is not None and chi2 > 1:
        cov = cov * chi2
    slope, se_slope = coef[1], np.sqrt(cov[1, 1])
    gain = 1 / slope
    out["gain"] = Measured(
        float(gain), float(se_slope / slope ** 2), "electron/adu",
        f"photon transfer: {len(flat_points)} flat pairs at {levels} levels and "
        f"{len(bias_points)} bias pairs, var = a + m / g" + (" + q m^2" if levels >= 4 else "")
        + ", weighted least squares; SE from the covariance"
        + (" x sqrt(chi2/dof)" if chi2 and chi2 > 1 else ""))
    out["quadratic"] = float(coef[2]) if levels >= 4 else None
    out["chi2"] = chi2
    return out

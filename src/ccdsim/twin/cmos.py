"""A CMOS camera's own effects: converter, row noise, column gain, random-telegraph pixels.

* ``sensor`` and ``adc_bits`` come from the headers (``SENSOR``,
  ``ADCBITS``); without ``ADCBITS``, from the values' step (a 12-bit
  converter's values shifted to 16 bits step by 16 ADU).
* Row noise: each bias's row means (interior columns, pixels 6 sigma off
  their row and glowing rows and columns (`ccdsim.twin.ptc.glowing`) left out) less the biases' mean row means and less the frame's
  own mean; their variance, over ``(N - 1)(ny - 1)`` degrees of freedom, is
  ``row_noise^2 + sigma^2 / nx`` (``sigma^2 = rn^2 + step^2/12``, one pixel's
  noise), which is taken off.
* Column gain: the master flat over its 15 x 15 running median, each
  column's mean less 1; their variance less the pixels' own (their variance
  about the column means over the rows averaged) is ``column_gain_rms^2``.
* RTS pixels (the level-histogram test): each frame's pixels less the
  biases' median and less their row's mean; a pixel whose values lie more
  than ``RTS_SIGMAS`` sigma off in two frames or more jumps between levels.
  A normal pixel does that with probability ``C(N, 2) P(|z| > 5.5)^2``
  (about 1e-12 for 20 to 50 biases); pixels whose median is 5 sigma above
  their row's (glow, hot pixels: shot noise) are not tested. Fewer than
  `RTS_MIN_BIASES` biases: not fitted. Small jumps (below about 5.5
  sigma) are missed: the fraction is of pixels seen to jump.
"""

from math import comb

import numpy as np

from .maps import in_regions
from .ptc import Measured, glowing, interior
from .stack import BAND_BYTES, read_data

__all__ = ["RTS_MIN_BIASES", "RTS_SIGMAS", "converter", "bias_statistics", "column_gain"]

#: Biases needed for the RTS census (the median of fewer moves with the pixels' levels).
RTS_MIN_BIASES = 20
#: Distance from a pixel's median, in its noise's sigmas, that counts as another level.
RTS_SIGMAS = 5.5


def converter(header, sample):
    """The sensor kind and the converter's bits, from the headers or the values' step.

    Parameters
    ----------
    header : astropy.io.fits.Header
        A frame's header.
    sample : numpy.ndarray
        Some of a bias's pixels (ADU).

    Returns
    -------
    sensor : str
        ``SENSOR`` lower-cased, or "" when the headers do not say.
    bits : Measured
        ``adc_bits``.
    """
    sensor = str(header.get("SENSOR", "")).strip().lower()
    if "ADCBITS" in header:
        return sensor, Measured(float(int(header["ADCBITS"])), 0.0, "bits", "ADCBITS header")
    values = np.unique(np.asarray(sample, dtype=np.float64).ravel())
    ints = values[np.isfinite(values)]
    step = 1
    if ints.size > 1 and np.all(ints == np.round(ints)):
        step = int(np.gcd.reduce(np.diff(ints).astype(np.int64)))
    bits = 16
    while step > 1 and step % 2 == 0 and bits > 8:
        step //= 2
        bits -= 1
    return sensor, Measured(float(bits), 0.0, "bits",
                            "from the values' step (2**(16 - bits) ADU): no ADCBITS header")


def bias_statistics(biases, layout, read_noise_adu, step):
    """Row noise and the RTS census of the biases, a band of rows of every bias at a time.

    Parameters
    ----------
    biases : list of FrameInfo
        Two biases or more.
    layout : Layout
        The data section.
    read_noise_adu : float
        One pixel's read noise (ADU, from bias pairs, rows' means taken off).
    step : float
        The converter's step (ADU).

    Returns
    -------
    dict
        ``row_noise_adu`` (`Measured`), ``rts_fraction`` (`Measured` or None
        with fewer than `RTS_MIN_BIASES`), ``rts_jump_adu`` (median jump
        of the pixels found, ADU, or None) and ``rts_false`` (the chance of
        a normal pixel being counted).
    """
    n = len(biases)
    ny, nx = layout.shape
    ys, xs = interior(layout.shape)
    cols = np.arange(nx)[xs]
    sigma = float(np.sqrt(read_noise_adu ** 2 + step ** 2 / 12))
    band = max(1, int(BAND_BYTES // (4 * n * nx)))
    rows_all, found, tested, jumps = [], 0, 0, []
    y0 = layout.data[0].start or 0
    x0 = layout.data[1].start or 0
    for lo in range(0, ny, band):
        hi = min(ny, lo + band)
        stack = np.stack([read_data(f.path, slice(y0 + lo, y0 + hi))[:, x0:x0 + nx]
                          for f in biases]).astype(np.float64)
        med = np.median(stack, axis=0)
        d = stack - med
        lit_rows, lit_cols = glowing(med)  # glow's shot noise is not row noise
        use_cols = cols[lit_cols[cols]]
        rmed = np.median(d[:, :, use_cols], axis=2, keepdims=True)
        keep = np.abs(d[:, :, use_cols] - rmed) <= 6 * sigma
        rows = np.where(keep, d[:, :, use_cols], 0.0).sum(axis=2) / np.maximum(keep.sum(axis=2),
                                                                                1)
        rows_all.append(np.where(lit_rows[None, :], rows, np.nan))
        if n >= RTS_MIN_BIASES:
            d -= rows[:, :, None]
            level = med - np.median(med, axis=1, keepdims=True)
            use = level <= 5 * sigma
            use[:, :xs.start] = use[:, xs.stop:] = False
            far = np.abs(d) > RTS_SIGMAS * sigma
            hit = use & (far.sum(axis=0) >= 2)
            tested += int(use.sum())
            found += int(hit.sum())
            if hit.any():
                jumps.append(np.max(np.abs(d[:, hit]), axis=0))
    r = np.concatenate(rows_all, axis=1)[:, ys.start:ys.stop]
    r = r[:, np.isfinite(r[0])]
    resid = r - r.mean(axis=1, keepdims=True) - r.mean(axis=0, keepdims=True) + r.mean()
    dof = (n - 1) * (r.shape[1] - 1)
    v = float((resid ** 2).sum() / dof)
    r2 = v - sigma ** 2 / len(use_cols)
    se2 = v * np.sqrt(2.0 / dof)
    rn = float(np.sqrt(max(r2, 0.0)))
    out = {"row_noise_adu": Measured(rn, float(se2 / (2 * rn)) if rn > np.sqrt(se2)
                                     else float(np.sqrt(se2)), "adu",
                                     f"{n} biases' row means (rows' pixels 6 sigma off left "
                                     f"out) less the biases' mean and the frame's own; variance "
                                     f"less sigma^2 / {len(cols)} columns; SE from "
                                     f"(N - 1)(ny - 1) = {dof} degrees of freedom"),
           "rts_fraction": None, "rts_jump_adu": None, "rts_false": None}
    if n >= RTS_MIN_BIASES and tested:
        from scipy.stats import norm  # ccdproc, which the fit needs, brings SciPy
        p = 2 * norm.sf(RTS_SIGMAS)
        false = comb(n, 2) * p ** 2
        out["rts_false"] = false
        out["rts_fraction"] = Measured(
            found / tested, float(np.sqrt(max(found, 1))) / tested, "",
            f"level histogram of {n} biases: pixels {RTS_SIGMAS:g} sigma off their median "
            f"(row means taken off) in 2 frames or more, of {tested} tested; a normal pixel "
            f"counted with probability {false:.0e}; jumps below ~{RTS_SIGMAS:g} sigma missed; "
            f"SE sqrt(found) / tested")
        if jumps:
            out["rts_jump_adu"] = float(np.median(np.concatenate(jumps)))
    return out


def column_gain(flat, mask, size=15, regions=None):
    """Column-to-column gain rms from a master flat (mean 1).

    Parameters
    ----------
    flat : numpy.ndarray
        The master flat.
    mask : numpy.ndarray of bool
        Its bad pixels (left out).
    size : int, optional
        The running median's box (pixels), the smooth flat.
    regions : list of tuple of slice, optional
        Parts read by different amplifiers: the running median within each.

    Returns
    -------
    Measured
    """
    ys, xs = interior(flat.shape)
    f = np.asarray(flat, dtype=np.float64)
    from scipy.ndimage import median_filter  # ccdproc, which the fit needs, brings SciPy
    smooth = in_regions(lambda a: median_filter(a, size=size, mode="nearest"), f, regions)
    ratio = np.where(mask | (smooth <= 0), np.nan, f / np.where(smooth > 0, smooth, 1.0))[ys, xs]
    nrow = np.sum(np.isfinite(ratio), axis=0)
    ok = nrow > 1  # a dead column (masked) has none
    nrow, ratio = nrow[ok], ratio[:, ok]
    cm = np.nanmean(ratio, axis=0)
    pixel = np.nanvar(ratio - cm, axis=0, ddof=1)
    noise = float(np.mean(pixel / nrow))
    v = float(np.var(cm, ddof=1))
    c2 = v - noise
    se2 = v * np.sqrt(2.0 / (cm.size - 1))
    c = float(np.sqrt(max(c2, 0.0)))
    return Measured(c, float(se2 / (2 * c)) if c > np.sqrt(se2) else float(np.sqrt(se2)), "",
                    f"the master flat over its {size} x {size} running median: variance of "
                    f"{cm.size} column means less their pixels' own; SE from its "
                    f"{cm.size - 1} degrees of freedom")

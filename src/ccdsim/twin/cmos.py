"""A CMOS camera's own effects: converter, row noise, random-telegraph pixels.

* ``sensor`` and ``adc_bits`` come from the headers (``SENSOR``,
  ``ADCBITS``); without ``ADCBITS``, from the values' step (a 12-bit
  converter's values shifted to 16 bits step by 16 ADU).
* Row noise: each bias's row means (interior columns, pixels 6 sigma off their row
  and glowing rows and columns (`ccdsim.twin.ptc.glowing`) left out) less the biases'
  mean row means and the frame's own mean; their variance, over ``(N - 1)(ny - 1)``
  degrees of freedom, is ``row_noise^2 + sigma^2 / nx`` (``sigma^2 = rn^2 + step^2/12``).
* Column gain: `ccdsim.twin.flat.column_gain`.
* RTS pixels (`rts_census`): each frame's pixels less their row's mean; a
  pixel 2 frames or more `RTS_SIGMAS` sigma off its own level jumps; normal
  pixels counted so: `rts_false`. Glowing rows and columns are not tested
  (ccdsim's biases hold no other dark signal; a real pixel with shot noise
  of 2 sigma in its biases is counted with a chance of a percent). The count
  over the chance of finding an RTS pixel (`rts_fit`) is ``rts_fraction``.
"""

import numpy as np

from ..core.params import param
from ..physics.cmos import rts_table
from .ptc import Measured, glowing, interior
from .stack import BAND_BYTES, THREADS, in_threads, median_of_frames, read_data

__all__ = ["RTS_MIN_BIASES", "RTS_MIN_FOUND", "RTS_SIGMAS", "RTS_WINDOW", "RTS_DRAWS",
           "converter", "bias_statistics", "rts_census", "rts_simulated", "rts_false", "rts_fit",
           "rts_in_electrons"]

#: Biases needed for the RTS census (a pixel's own level from fewer moves with its jumps).
RTS_MIN_BIASES = 20
#: Distance from a pixel's own level, in its noise's sigmas, that counts as another level.
RTS_SIGMAS = 4.5
#: Width of the window whose values give a pixel's own level, in its noise's sigmas.
RTS_WINDOW = 3.0
#: RTS pixels found needed to size their steps, which the fraction rests on.
RTS_MIN_FOUND = 8
#: RTS pixels simulated at each mean step (`rts_fit`).
RTS_DRAWS = 10000


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


def bias_statistics(biases, layout, read_noise_adu, step, rng=0):
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
    rng : numpy.random.Generator or int, optional
        The RTS fit's simulation (`rts_fit`).

    Returns
    -------
    dict
        ``row_noise_adu``; ``rts_fraction``, ``rts_amplitude_adu`` (`Measured`
        or None: ``rts_cannot`` says why); the census (None below
        `RTS_MIN_BIASES` biases): ``rts_found``, ``rts_false`` (`rts_false`),
        ``rts_pixels`` (``(y, x)`` found), ``rts_mask`` (tested), ``rts_tested``.
    """
    n = len(biases)
    ny, nx = layout.shape
    ys, xs = interior(layout.shape)
    cols = np.arange(nx)[xs]
    sigma = float(np.sqrt(read_noise_adu ** 2 + step ** 2 / 12))
    band = max(1, int(BAND_BYTES // (4 * n * nx)))
    rows_all, gaps, mask, seen = [], [], np.zeros((ny, nx), bool), np.zeros((ny, nx), bool)
    y0, x0 = layout.data[0].start or 0, layout.data[1].start or 0
    for lo in range(0, ny, band):
        hi = min(ny, lo + band)
        # float32 holds the converter's integers and their halves exactly: the same numbers
        # as float64, at half the memory traffic (4.5 times faster a band).
        stack = np.stack([read_data(f.path, slice(y0 + lo, y0 + hi))[:, x0:x0 + nx]
                          for f in biases])
        med = median_of_frames(stack)
        d = stack - med
        lit_rows, lit_cols = glowing(med)  # glow's shot noise is not row noise
        use_cols = cols[lit_cols[cols]]
        lit = d[:, :, use_cols]
        rmed = np.empty(lit.shape[:2] + (1,), np.float32)

        def row_medians(frames):
            rmed[frames] = np.median(lit[frames], axis=2, keepdims=True)

        in_threads(row_medians, n, THREADS)
        keep = np.abs(lit - rmed) <= np.float32(6 * sigma)
        rows = np.where(keep, lit, np.float32(0)).sum(axis=2, dtype=np.float64) \
            / np.maximum(keep.sum(axis=2), 1)
        rows_all.append(np.where(lit_rows[None, :], rows, np.nan))
        if n >= RTS_MIN_BIASES:
            use = mask[lo:hi]
            use[np.ix_(lit_rows, use_cols)] = True
            hit, gap = rts_census(d[:, use] - rows[:, np.nonzero(use)[0]], sigma)
            seen[lo:hi][use] = hit
            gaps.append(gap[hit])
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
           "rts_fraction": None, "rts_amplitude_adu": None, "rts_found": None,
           "rts_tested": int(mask.sum()), "rts_false": None, "rts_pixels": None, "rts_mask": mask,
           "rts_cannot": (f"rts_fraction, rts_amplitude: the level-histogram census needs "
                          f"{RTS_MIN_BIASES} biases or more ({n} given)")}
    tested = out["rts_tested"]
    if n < RTS_MIN_BIASES or not tested:
        return out
    gaps = np.concatenate(gaps)
    out.update(rts_found=len(gaps), rts_false=rts_false(n, tested, read_noise_adu, step, rn),
               rts_pixels=np.nonzero(seen))
    if len(gaps) < RTS_MIN_FOUND:
        out["rts_cannot"] = (f"rts_fraction, rts_amplitude: {len(gaps)} of {tested} pixels seen "
                             f"to jump in {n} biases, fewer than {RTS_MIN_FOUND}: too few to "
                             f"size the steps, which the chance of finding one rests on")
        return out
    out["rts_fraction"], out["rts_amplitude_adu"] = rts_fit(gaps, tested, n, read_noise_adu,
                                                            step, rn, rng)
    out["rts_cannot"] = (f"rts_fraction, rts_amplitude: the {len(gaps)} found pixels' gaps "
                         f"lie beyond those simulated" if out["rts_fraction"] is None else
                         f"rts_three_level: not fitted (rts_fraction assumes its default, "
                         f"{param('rts_three_level').default:g})")
    return out


def rts_census(values, sigma, sigmas=None):
    """Pixels that show another level: 2 frames or more ``sigmas`` sigma off their own level.

    Its own level: the mean of its values within ``sigmas / 2`` sigma of
    it, settled from its densest window `RTS_WINDOW` sigma wide (the level
    it shows most often); their median lies between two levels shown about
    equally often, halving the jump seen.

    Parameters
    ----------
    values : numpy.ndarray
        ``(frames, pixels)``: the pixels' values less their row's offset (ADU).
    sigma : float
        One value's noise (ADU): read noise and the converter's step.
    sigmas : float, optional
        The distance that counts as another level (`RTS_SIGMAS`).

    Returns
    -------
    hit : numpy.ndarray of bool
        ``(pixels,)``: the pixels found.
    gap : numpy.ndarray
        ``(pixels,)``: a found pixel's values not near its own level, their
        median distance from it (ADU; NaN where not found): its step or twice it.
    """
    sigmas = RTS_SIGMAS if sigmas is None else sigmas
    n, npix = values.shape
    hit, gap = np.zeros(npix, bool), np.full(npix, np.nan)
    cut = sigmas * sigma
    cand = np.flatnonzero(np.ptp(values, axis=0) > cut)  # no two values that far: no jump
    if cand.size == 0:
        return hit, gap
    v = values[:, cand]
    s = np.sort(v, axis=0)
    cols, size, lo = np.arange(cand.size), np.ones(cand.size, np.int64), np.zeros(cand.size, int)
    for k in range(1, n):  # the shortest run of k + 1 values: the densest window holding them
        span = s[k:] - s[:-k]
        i = np.argmin(span, axis=0)
        ok = span[i, cols] <= RTS_WINDOW * sigma
        if not ok.any():  # longer runs are wider still
            break
        size[ok], lo[ok] = k + 1, i[ok]
    c = np.vstack([np.zeros((1, cand.size)), np.cumsum(s, axis=0)])
    level = (c[lo + size, cols] - c[lo, cols]) / size
    for _ in range(4):  # the mean of the values near the last: settled in a few passes
        near = np.abs(v - level) <= cut / 2
        level = (v * near).sum(axis=0) / np.maximum(near.sum(axis=0), 1)
    dev = np.abs(v - level)
    found = (dev > cut).sum(axis=0) >= 2
    hit[cand[found]] = True
    gap[cand[found]] = np.nanmedian(np.where(near, np.nan, dev)[:, found], axis=0)
    return hit, gap


def rts_simulated(occupancy, amplitude, n, rn, step, rows, rng):
    """The census (`rts_census`) of RTS pixels read with the read-out's noise, once each.

    Parameters
    ----------
    occupancy, amplitude : numpy.ndarray
        ``(pixels, levels)``: each level's chance; ``(pixels,)``: the step (ADU).
    n : int
        Frames.
    rn, step, rows : float
        Read noise, converter's step, row noise (ADU; rows offset before the converter).
    rng : numpy.random.Generator or int

    Returns
    -------
    hit, gap : numpy.ndarray
        `rts_census`.
    """
    rng = np.random.default_rng(rng)
    npix, cum = len(occupancy), np.cumsum(np.asarray(occupancy, np.float64), axis=1)
    level = (rng.random((n, npix, 1)) >= cum[None, :, :-1]).sum(axis=2)
    row = rows * rng.standard_normal((n, npix))
    x = rng.uniform(0, max(step, 1e-300), npix) + level * np.asarray(amplitude) + row \
        + rn * rng.standard_normal((n, npix))
    if step > 0:
        x = step * np.floor(x / step)
    return rts_census(x - row, float(np.sqrt(rn ** 2 + step ** 2 / 12)))


def rts_false(n, tested, rn, step, rows, sigmas=None):
    """Normal pixels the census (`rts_census`) is expected to count.

    2 of ``n`` values ``sigmas`` sigma off the pixel's own level: a value is
    Gaussian read noise plus the row offset, rounded to the converter's step,
    the offset taken off (averaged over the offsets); the binomial chance is
    averaged over the level's error (a mean of the values within ``h =
    sigmas / 2`` sigma: variance ``sigma^2 / (n (P(|z| < h) - 2 h phi(h)))``)
    and where the pixel lies between two steps.

    Parameters
    ----------
    n, tested : int
        Frames; pixels tested.
    rn, step, rows : float
        Read noise, the converter's step (0: none) and the row noise (ADU).
    sigmas : float, optional
        The census's distance (`RTS_SIGMAS`).

    Returns
    -------
    float
        The expected number of normal pixels counted.
    """
    from scipy.stats import binom, norm  # ccdproc, which the fit needs, brings SciPy
    sigmas = RTS_SIGMAS if sigmas is None else sigmas
    cut = sigmas * np.sqrt(rn ** 2 + step ** 2 / 12)
    xe, we = np.polynomial.hermite_e.hermegauss(9)
    h = sigmas / 2  # the level's error: a mean of values within h sigma, settled
    e = (xe * cut / sigmas * np.sqrt(1 / (2 * norm.cdf(h) - 1 - 2 * h * norm.pdf(h)) / n)
         )[None, :, None]
    r = (xe * rows)[None, None, :]
    if step > 0:  # phi: where the pixel lies between two steps; values step * floor(x / step)
        phi = ((np.arange(32) + 0.5) / 32 * step)[:, None, None]
        up, dn = r + phi - step / 2 + e + cut, r + phi - step / 2 + e - cut
        q = (norm.sf((step * (np.floor(up / step) + 1) - phi - r) / rn)
             + norm.cdf((step * np.ceil(dn / step) - phi - r) / rn))
    else:
        q = norm.sf((cut - e) / rn) + norm.sf((cut + e) / rn)
    q = (q * we / we.sum()).sum(axis=2)
    return float(tested * (binom.sf(1, n, q) * we / we.sum()).sum(axis=1).mean())


def rts_fit(gaps, tested, n, rn, step, rows, rng=0):
    """The RTS fraction and mean step: the census's count over the chance of finding one.

    RTS pixels as ccdsim makes them (`ccdsim.physics.cmos.rts_table`: steps
    exponential about their mean ``mu``, dwell times log-uniform within 10x,
    ``rts_three_level`` its default) are found with a chance ``P(mu)``, with a
    mean gap ``G(mu)``: both simulated (`rts_simulated`, `RTS_DRAWS` pixels,
    the same draws scaled for each ``mu`` of a grid). ``mu`` is where ``G``
    meets the gaps' mean (SE: theirs over ``G'``); the fraction, the count
    less `rts_false` over tested x ``P(mu)`` (relative SE: the count's
    Poisson, ``P``'s through ``mu``'s, the simulation's).

    Parameters
    ----------
    gaps : numpy.ndarray
        The found pixels' gaps (ADU, `rts_census`).
    tested, n : int
        Pixels tested; frames.
    rn, step, rows : float
        Read noise, the converter's step and the row noise (ADU).
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    fraction, step : Measured or None
        ``rts_fraction`` and the mean step (ADU); None where the gaps' mean lies
        beyond the simulated ``G`` (100 pixels found or more at each ``mu``).
    """
    rng = np.random.default_rng(rng)
    three = param("rts_three_level").default
    t = rts_table((1, RTS_DRAWS), 1.0, 1.0, three, 1.0, rng)
    occ, unit = np.asarray(t["occupancy"]), np.asarray(t["amplitude"])
    seed = int(rng.integers(2 ** 63))
    grid = np.sqrt(rn ** 2 + step ** 2 / 12) * np.geomspace(0.5, 50, 21)
    sims = [rts_simulated(occ, mu * unit, n, rn, step, rows, seed) for mu in grid]
    ok = np.array([h.sum() >= 100 for h, _ in sims])  # G known to a percent
    p = np.array([h.mean() for h, _ in sims])[ok]
    g = np.maximum.accumulate([np.mean(gp[h]) for h, gp in sims if h.sum() >= 100])
    grid, k, gm = np.log(grid[ok]), len(gaps), float(np.mean(gaps))
    if len(grid) < 3 or not g[0] < gm < g[-1]:
        return None, None
    lmu = float(np.interp(gm, g, grid))
    mu = float(np.exp(lmu))
    mu_se = float(np.std(gaps, ddof=1) / np.sqrt(k)) / float(
        np.interp(lmu, grid, np.gradient(g, grid))) * mu  # dG/dmu = dG/dln mu / mu
    pm = float(np.exp(np.interp(lmu, grid, np.log(p))))
    dlnp = float(np.interp(lmu, grid, np.gradient(np.log(p), grid)))
    false = rts_false(n, tested, rn, step, rows)
    f = max(k - false, 0.0) / (tested * pm)
    rel = np.sqrt(1 / k + (dlnp * mu_se / mu) ** 2 + (1 - pm) / (pm * RTS_DRAWS))
    return (Measured(f, float(f * rel), "",
                     f"{k} of {tested} pixels 2 of {n} biases or more {RTS_SIGMAS:g} sigma off "
                     f"their own level, less {false:.1e} false alarms expected, over the chance "
                     f"of finding one, {pm:.3f}, simulated as ccdsim makes them at the fitted "
                     f"mean step (rts_three_level {three:g} assumed); SE from the count "
                     f"(Poisson) and the step's SE (d ln P / d ln mu = {dlnp:.2f})"),
            Measured(mu, mu_se, "adu",
                     f"mean of exponential steps whose found pixels' mean gap, simulated, is "
                     f"the {k} found's; SE from the gaps' scatter over sqrt({k}) through "
                     f"the simulated gap's slope"))


def rts_in_electrons(m, cannot, stats, gain):
    """Add ``rts_fraction``, ``rts_amplitude`` (e-) of `bias_statistics` to ``m``, or why not."""
    cannot.append(stats["rts_cannot"])
    if stats["rts_fraction"] is not None:
        a, g = stats["rts_amplitude_adu"], gain.value
        m["rts_fraction"] = stats["rts_fraction"]
        m["rts_amplitude"] = Measured(a.value * g, float(np.hypot(a.se * g, a.value * gain.se)),
                                      "electron", a.how + "; x gain, both errors propagated")

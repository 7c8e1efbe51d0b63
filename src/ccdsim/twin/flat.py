"""The flat field per filter, its cosmetics (``ccdproc.ccdmask``) and its pixel response spread.

Each flat, its offset, the master bias and its dark charge taken off, is
divided by its own mean level, so twilight flats of falling level combine
as well as a lamp's; the normalised flats are combined (5-sigma clipped mean)
and the result scaled to mean 1. Each pixel's standard error comes from the
normalised flats' scatter. ``ccdproc.ccdmask``'s algorithm by blocks (IRAF's
ccdmask, ``byblocks=True``, vectorised here) on the master flat marks its
cosmetics: the flat less its 7 x 7 running median, beyond 9 sigmas either
way, each sigma half the 30.9-69.1 percentile range of its 15 x 15 block
(ccdmask's default running 15 x 15 percentile box takes 100 s on a 4k x 4k
flat; each estimate uses 225 pixels either way, and the two masks differ
only in pixels within the sigma's own scatter of the threshold). A column masked over at least 90% of its rows with a flat below
0.1 is dead, one masked from some row to the top over at least 5% of the
rows is partial. The pixel response non-uniformity is the rms of the
master flat about its 9 x 9 box mean (cosmetics left out), less its noise in
quadrature. Column gain (`column_gain`, a CMOS sensor's column amplifiers):
the master flat over its running median, each column's mean less 1; their
variance less the pixels' own (their variance about the column means over
the rows averaged) is ``column_gain_rms^2``. `dark_without_bf` takes
brighter-fatter's spreading out of a combined dark, the fixed point
`ccdsim.twin.detector.flat_without_bf` solves for a master flat.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..core.extras import require
from ..physics.transfer.brighterfatter import brighter_fatter
from .maps import UNDO_TOLERANCE, box_mean, in_regions, running_median, undo
from .ptc import Measured, interior
from .stack import THREADS, combine, frame_levels

__all__ = ["fit_flat", "cosmetics", "column_gain", "dark_without_bf"]


def fit_flat(frames, layout, offsets, bias_map, gain, dark_rate=None, regions=None):
    """The master flat of one filter (mean 1) and its standard errors.

    Parameters
    ----------
    frames : list of FrameInfo
        The filter's flats.
    layout : Layout
        Where the data section is.
    offsets : dict
        ``{path: ADU}``.
    bias_map : numpy.ndarray
        The master bias (ADU).
    gain : float
        e-/ADU (for the dark charge).
    dark_rate : numpy.ndarray, optional
        e-/pixel/s: taken off at the flats' mean exposure time.
    regions : list of tuple of slice, optional
        Parts read by different amplifiers: the cosmetics and the smooth
        flat the PRNU is taken about are found within each (a step between
        two amplifiers' levels, their gains' errors, is neither).

    Returns
    -------
    dict
        ``flat`` and ``flat_se`` (maps), ``levels`` (each flat's mean above
        the bias, ADU), ``prnu`` (`Measured`), ``mask`` (ccdmask's),
        ``dead_columns`` and ``partial_columns`` (counts).
    """
    paths = [f.path for f in frames]
    off = [offsets.get(p, 0.0) for p in paths]
    bias_mean = float(bias_map.mean(dtype=np.float64))
    levels = np.array([frame_levels(p, layout, median=False)[1] - bias_mean - o
                       for p, o in zip(paths, off)])
    subtract = bias_map
    if dark_rate is not None:
        t = float(np.mean([f.exptime for f in frames]))
        subtract = bias_map + (dark_rate * (t / gain)).astype(np.float32)
    c = combine(paths, layout, offsets=off, subtract=subtract, scale=levels)
    norm = float(c.mean.mean(dtype=np.float64))
    flat = c.mean / np.float32(norm)
    if len(frames) >= 2:
        se = np.sqrt(c.var) / np.float32(norm)
    else:  # one flat: Poisson and read noise of its level
        se = np.sqrt(np.maximum(flat, 0) / (levels[0] * gain) + 1e-12).astype(np.float32)
    mask = in_regions(cosmetics, flat, regions)
    dead, partial = _columns(flat, mask)
    smooth = in_regions(lambda a: box_mean(a, 9), np.where(mask, 1.0, flat), regions)
    ins = np.zeros(flat.shape, dtype=bool)
    ins[interior(flat.shape)] = True
    good = ins & ~mask
    resid = (flat - smooth)[good]
    noise2 = float((se[good].astype(np.float64) ** 2).mean())
    var = float(resid.var())
    prnu = float(np.sqrt(max(var - noise2, 0.0)))
    # SE of a variance difference: var sqrt(2 / N) per pixel, the noise's mean known.
    prnu_se = float(var * np.sqrt(2.0 / resid.size) / (2 * max(prnu, 1e-9)))
    return {"flat": flat.astype(np.float32), "flat_se": se.astype(np.float32),
            "levels": levels, "mask": mask, "dead_columns": dead, "partial_columns": partial,
            "prnu": Measured(prnu, prnu_se, "", f"rms of {len(frames)} flats' master about its "
                             f"9 x 9 box mean, its noise taken out; SE from var sqrt(2 / N)")}


#: ccdmask's defaults: running median box, sigma blocks (rows, columns), thresholds.
MEDIAN_BOX, SIGMA_BLOCK, MASK_SIGMA = (7, 7), (15, 15), 9.0


def cosmetics(flat):
    """ccdproc's ``ccdmask(..., byblocks=True)`` of a master flat (True: a bad pixel).

    Parameters
    ----------
    flat : numpy.ndarray
        Mean-1 flat.

    Returns
    -------
    numpy.ndarray of bool
        The same mask as ``ccdproc.ccdmask(CCDData(flat), byblocks=True)``
        (non-finite pixels masked too).
    """
    require("ccdproc", "twin", "ccdsim camera fit")
    data = np.asarray(flat)
    medsub = data.astype(np.float64) - _running_median(data, MEDIAN_BOX)
    sigma = _block_sigma(medsub, SIGMA_BLOCK)
    return ~np.isfinite(medsub) | (medsub < -MASK_SIGMA * sigma) | (medsub > MASK_SIGMA * sigma)


def _running_median(image, size, threads=None):
    """``scipy.ndimage.median_filter(image, size)`` (odd sizes, its ``reflect`` edges), the
    same numbers five times faster: each pixel's box copied and partitioned, 64 rows at a
    time, chunks of rows in threads."""
    (hy, hx), ny = (n // 2 for n in size), image.shape[0]
    if min(image.shape) <= max(size):  # tiny images: scipy's own reflections
        from scipy import ndimage  # ccdproc brings SciPy

        return ndimage.median_filter(image, size=size)
    padded = np.pad(image, ((hy, hy), (hx, hx)), mode="symmetric")
    out = np.empty(image.shape, image.dtype)
    k = size[0] * size[1] // 2

    def rows(chunk):
        for a in range(chunk.start, chunk.stop, 64):
            b = min(a + 64, chunk.stop)
            win = sliding_window_view(padded[a:b + 2 * hy], size)
            out[a:b] = np.partition(win.reshape(b - a, image.shape[1], -1), k, axis=-1)[..., k]

    threads = THREADS if threads is None else threads
    step = -(-ny // threads)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(rows, [slice(a, min(a + step, ny)) for a in range(0, ny, step)]))
    return out


def _block_sigma(image, block):
    """Each pixel's block's half 30.9-69.1 percentile range (blocks from the origin, the last
    ones smaller), as ccdmask's ``byblocks``."""
    out = np.empty(image.shape)
    cuts = [[(0, n - n % b, b)] + ([(n - n % b, n, n % b)] if n % b else [])
            for n, b in zip(image.shape, block)]
    for r0, r1, h in cuts[0]:
        for c0, c1, w in cuts[1]:
            kh, kw = (r1 - r0) // h, (c1 - c0) // w
            if not kh or not kw:
                continue
            blocks = image[r0:r1, c0:c1].reshape(kh, h, kw, w).swapaxes(1, 2).reshape(kh, kw, -1)
            low, high = np.percentile(blocks, [30.9, 69.1], axis=-1)
            sig = (high - low) / 2.0
            out[r0:r1, c0:c1] = np.repeat(np.repeat(sig, h, axis=0), w, axis=1)
    return out


def _columns(flat, mask):
    """Dead and partial columns of a ccdmask mask (see the module's text)."""
    ny = flat.shape[0]
    dead = partial = 0
    masked = mask.sum(axis=0)
    for x in np.nonzero(masked >= max(1, int(0.05 * ny)))[0]:
        col = mask[:, x]
        if masked[x] >= 0.9 * ny and np.median(flat[:, x]) < 0.1:
            dead += 1
            continue
        # Masked from some row to the top, unmasked below it (a few exceptions allowed).
        first = int(np.argmax(col))
        if col[first:].mean() > 0.9 and col[:first].mean() < 0.1 if first else False:
            partial += 1
    return dead, partial


def column_gain(flat, mask, size=15, regions=None):
    """Column-to-column gain rms from a master flat (mean 1).

    Parameters
    ----------
    flat : numpy.ndarray
        The master flat.
    mask : numpy.ndarray of bool
        Its bad pixels (left out).
    size : int, optional
        The running medians' length (pixels): along the columns, then along the
        rows, the smooth flat (5 times faster than a 2-D box's median, which
        took 40 s on a 4k flat).
    regions : list of tuple of slice, optional
        Parts read by different amplifiers: the running medians within each.

    Returns
    -------
    Measured
    """
    ys, xs = interior(flat.shape)
    f = np.asarray(flat, dtype=np.float64)
    smooth = in_regions(lambda a: running_median(running_median(a, size, 0), size, 1), f,
                        regions)
    ratio = np.where(mask | (smooth <= 0), np.nan, f / np.where(smooth > 0, smooth, 1.0))[ys, xs]
    nrow = np.sum(np.isfinite(ratio), axis=0)
    ok = nrow > 1  # a dead column (masked) has none
    nrow, ratio = nrow[ok], ratio[:, ok]
    cm = np.nanmean(ratio, axis=0)
    pixel = np.nanvar(ratio - cm, axis=0, ddof=1)
    noise = float(np.mean(pixel / nrow))
    v = float(np.var(cm, ddof=1))
    se2 = v * np.sqrt(2.0 / (cm.size - 1))
    c = float(np.sqrt(max(v - noise, 0.0)))
    return Measured(c, float(se2 / (2 * c)) if c > np.sqrt(se2) else float(np.sqrt(se2)), "",
                    f"the master flat over its running median ({size} rows, {size} columns): "
                    f"variance of "
                    f"{cm.size} column means less their pixels' own; SE from its "
                    f"{cm.size - 1} degrees of freedom")


def dark_without_bf(image, strength, gain, tolerance=UNDO_TOLERANCE, rounds=20):
    """A combined dark before brighter-fatter spread its hot pixels' charge (a twin adds it).

    The dark ``y`` (e-: ADU x the gain) is taken as one frame of its mean
    charge, as `ccdsim.twin.chain.untrail` takes it for the CTI. The charge
    ``x`` drawn before the effect ``BF``
    (`ccdsim.physics.transfer.brighterfatter.brighter_fatter`, its default
    radius and full well, as a twin's camera has them: the fit gives no
    full well) solves ``BF(x) = y``; from ``x = y``, ``x <- x + (y - BF(x))``.
    ``BF`` moves a few percent of a pixel's charge (6% of 1e5 e- at 2.5e-6
    per e-), so each round leaves that share of the last one's error (0.12
    there: 10 rounds; `ccdsim.twin.maps.undo`). Drawn electrons are >= 0:
    the model gets ``x`` clipped at 0, and a negative pixel (read noise)
    keeps what was clipped.

    Parameters
    ----------
    image : numpy.ndarray
        The combined dark (ADU above the bias).
    strength : float
        ``brighter_fatter`` (1/e-), > 0.
    gain : float
        e-/ADU.
    tolerance : float, optional
        Rounds stop when no pixel changes by this much (e-).
    rounds : int, optional
        Most rounds.

    Returns
    -------
    numpy.ndarray
        The dark without the effect (ADU above the bias, float64).
    """
    y = np.asarray(image, dtype=np.float64) * gain
    return undo(y, lambda x: brighter_fatter(np.maximum(x, 0.0), strength)
                + np.minimum(x, 0.0), rounds, tolerance)[0] / gain

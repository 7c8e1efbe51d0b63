"""The flat field per filter, its cosmetics (``ccdproc.ccdmask``) and its pixel response spread.

Each flat, its offset, the master bias and its dark charge taken off, is
divided by its own mean level, so twilight flats of falling level combine
as well as a lamp's; the normalised flats are combined (5-sigma clipped mean)
and the result scaled to mean 1. Each pixel's standard error comes from the
normalised flats' scatter. ``ccdproc.ccdmask`` on the master flat marks its
cosmetics; a column masked over at least 90% of its rows with a flat below
0.1 is dead, one masked from some row to the top over at least 5% of the
rows is partial. The pixel response non-uniformity is the rms of the
master flat about its 9 x 9 box mean (cosmetics left out), less its noise in
quadrature.
"""

import numpy as np
from astropy.nddata import CCDData

from ..core.extras import require
from .maps import box_mean
from .ptc import Measured, interior
from .stack import combine, frame_levels

__all__ = ["fit_flat", "cosmetics"]


def fit_flat(frames, layout, offsets, bias_map, gain, dark_rate=None):
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
    levels = np.array([frame_levels(p, layout)[1] - bias_mean - o for p, o in zip(paths, off)])
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
    mask = cosmetics(flat)
    dead, partial = _columns(flat, mask)
    smooth = box_mean(np.where(mask, 1.0, flat), 9)
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


def cosmetics(flat):
    """ccdproc's ``ccdmask`` of a master flat (True: a bad pixel).

    Parameters
    ----------
    flat : numpy.ndarray
        Mean-1 flat.

    Returns
    -------
    numpy.ndarray of bool
    """
    ccdproc = require("ccdproc", "twin", "ccdsim camera fit")
    return np.asarray(ccdproc.ccdmask(CCDData(flat.astype(np.float64), unit="adu")), dtype=bool)


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

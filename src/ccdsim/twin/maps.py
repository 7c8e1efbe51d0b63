"""Maps for a camera file: measured maps with their noise shrunk away, their features kept.

A master frame is the camera's map plus the noise of the frames it was made
of. Simulating with it as it is would add that noise as a fixed pattern
(a master bias of 10 frames adds 10% of the read noise's variance to every
simulated frame's pixel-to-pixel spread; a noisy dark map has negative
rates). `denoise` keeps what is real: the map's level plus its column and
row profiles (medians, each scaled by its own Wiener factor), and on top of
them ``smooth + k (raw - smooth)`` with
``smooth`` a robust box average, ``k = max(0, 1 - noise / spread)`` the
Wiener factor of the residuals (1 when they are all structure, 0 when they
are all noise), and pixels more than 5 standard errors from the smooth map
(hot pixels, dead columns, glowing edges) kept as measured. Row and column
patterns survive as structure when they exceed the noise.
"""

import numpy as np

from .stack import THREADS, in_blocks, in_threads, median_along

__all__ = ["box_mean", "running_median", "in_regions", "denoise", "correlation", "undo",
           "UNDO_TOLERANCE"]

#: Pixels more than this many standard errors from the smooth map are kept as measured.
KEEP_SIGMA = 5.0
#: `undo` stops when no pixel changes by this much (e-): far below any frame's noise.
UNDO_TOLERANCE = 1e-3


def box_mean(a, width):
    """The mean over a ``width`` x ``width`` box around each pixel (smaller at the edges).

    Parameters
    ----------
    a : numpy.ndarray
        2-D map.
    width : int
        Odd box side (pixels).

    Returns
    -------
    numpy.ndarray
        float64, the same shape.
    """
    # Running sums (scipy's uniform filter, zeros outside), then each pixel's own box size.
    from scipy import ndimage  # ccdproc, which the fit needs, brings SciPy

    a = np.asarray(a, dtype=np.float64)
    out = np.empty(a.shape)

    # Down the columns by blocks in threads (`in_blocks`): the same sums, 3 times faster on
    # a 4k map than one call, whose strided lines miss the cache.
    def down(cols):
        out[:, cols] = ndimage.uniform_filter1d(a[:, cols], width, axis=0, mode="constant",
                                                cval=0.0)

    in_blocks(down, a.shape[1])
    out = ndimage.uniform_filter1d(out, width, axis=1, mode="constant", cval=0.0)
    h = width // 2
    rows, cols = (np.minimum(np.arange(n) + h + 1, n) - np.maximum(np.arange(n) - h, 0)
                  for n in out.shape)
    out *= width * width
    out /= rows[:, None]
    out /= cols[None, :]
    return out


def running_median(a, size, axis):
    """scipy's ``median_filter`` along one axis (``size`` pixels, edges "nearest"), the same
    numbers; the lines across it shared among `THREADS` threads (scipy lets go of the
    interpreter: 1.8 times faster on 2 cores).

    Parameters
    ----------
    a : numpy.ndarray
        2-D map.
    size : int
        The running median's length (pixels).
    axis : int
        0: down the columns; 1: along the rows.

    Returns
    -------
    numpy.ndarray
        ``a``'s dtype, the same shape.
    """
    from scipy.ndimage import median_filter  # ccdproc, which the fit needs, brings SciPy

    a = np.asarray(a)
    out = np.empty_like(a)
    box = (size, 1) if axis == 0 else (1, size)

    def part(lines):
        cut = (slice(None), lines) if axis == 0 else (lines, slice(None))
        out[cut] = median_filter(a[cut], size=box, mode="nearest")

    in_threads(part, a.shape[1 - axis], THREADS)
    return out


def in_regions(func, image, regions=None):
    """``func`` of each region of an image on its own (of the whole image without regions).

    Parameters
    ----------
    func : callable
        A map of a 2-D array to one of its shape (a running mean, a mask).
    image : numpy.ndarray
        2-D.
    regions : list of tuple of slice, optional
        Parts that tile the image (the amplifiers' data on the detector).

    Returns
    -------
    numpy.ndarray
    """
    if not regions:
        return func(image)
    parts = [func(image[reg]) for reg in regions]
    out = np.empty(image.shape, dtype=parts[0].dtype)
    for reg, part in zip(regions, parts):
        out[reg] = part
    return out


def denoise(raw, se, width=9, floor=None):
    """A map with the noise of its measurement shrunk away (see the module's text).

    Parameters
    ----------
    raw : numpy.ndarray
        The measured map.
    se : numpy.ndarray or float
        Each pixel's standard error.
    width : int, optional
        Box side of the smooth map (pixels).
    floor : float, optional
        The smallest value allowed (0 for rates).

    Returns
    -------
    out : numpy.ndarray
        float32.
    k : float
        The factor the residuals were kept by.
    """
    raw = np.asarray(raw, dtype=np.float64)
    se2 = np.broadcast_to(np.asarray(se, dtype=np.float64) ** 2, raw.shape)
    base = _profiles(raw, se2)
    raw = raw - base
    work = raw.copy()
    keep = np.zeros(raw.shape, dtype=bool)
    cut = KEEP_SIGMA * np.sqrt(se2)
    for _ in range(4):  # outliers replaced by the smooth map, then smoothed again
        smooth = box_mean(work, width)
        keep = np.abs(raw - smooth) > cut
        work = np.where(keep, smooth, raw)
    resid = (raw - smooth)[~keep]
    spread = float(resid.var()) if resid.size > 1 else 0.0
    noise = float(se2[~keep].mean()) if resid.size else 0.0
    k = max(0.0, 1.0 - noise / spread) if spread > 0 else 0.0
    out = base + np.where(keep, raw, smooth + k * (raw - smooth))
    if floor is not None:
        out = np.maximum(out, floor)
    return out.astype(np.float32), k


def _profiles(raw, se2):
    """The map's median level plus its column and row profiles, each Wiener-shrunk."""
    level = float(np.median(raw))
    base = np.full(raw.shape, level)
    for axis in (0, 1):  # column medians, then row medians
        p = median_along(raw - base, axis)
        n = raw.shape[axis]
        noise = float((1.2533 ** 2) * se2.mean(axis=axis).mean() / n)
        spread = float(p.var())
        k = max(0.0, 1.0 - noise / spread) if spread > 0 else 0.0
        base = base + k * (p[None, :] if axis == 0 else p[:, None])
    return base


def correlation(a, b, mask=None):
    """Pearson correlation of two maps (over ``mask`` when given).

    Parameters
    ----------
    a, b : numpy.ndarray
        Maps of one shape.
    mask : numpy.ndarray of bool, optional
        Pixels to use.

    Returns
    -------
    float
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if mask is not None:
        a, b = a[mask], b[mask]
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def undo(y, forward, rounds, tolerance=UNDO_TOLERANCE):
    """The ``x`` an effect turned into ``y``: the fixed point ``x <- x + (y - forward(x))``.

    From ``x = y`` (ArCTIc's CTI removal, Massey et al. 2014): an effect that
    moves a share ``q`` of a pixel's charge leaves ``q`` times the last
    round's error, so the error falls geometrically.

    Parameters
    ----------
    y : numpy.ndarray
        What the effect made (e-, float64).
    forward : callable
        The effect, ``forward(x)`` of ``y``'s shape.
    rounds : int
        Most rounds.
    tolerance : float, optional
        Rounds stop when no pixel changes by this much (e-).

    Returns
    -------
    x : numpy.ndarray
    ran : int
        Rounds run.
    change : float
        The last round's largest change of a pixel (e-).
    """
    x = np.array(y, dtype=np.float64)
    ran, change = 0, 0.0
    for ran in range(1, rounds + 1):
        step = y - forward(x)
        x += step
        change = float(np.abs(step).max()) if step.size else 0.0
        if change < tolerance:
            break
    return x, ran, change

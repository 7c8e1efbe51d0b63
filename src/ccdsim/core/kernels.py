"""Compiled inner loops (numba), used where numpy alone was measured too slow.

Rendering thousands of stars with numpy needs index arrays and scattered
adds (``np.add.at``): measured 0.6 s for 5,000 stars on a 2000x2000 frame,
four times the cost of the frame's noise. This loop does the same in ~10 ms
and renders straight into one row block, so no full-size star image exists.

Compiled code is cached on disk where numba can write (``__pycache__`` beside
this file, else ``NUMBA_CACHE_DIR``, else the user's cache folder); on a
read-only install with none of those, each process compiles afresh.
"""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from .params import ADC_MAX

__all__ = ["compiled", "in_parts", "add_gaussian_stars", "electrons_to_adu", "keep_electrons"]

# The ADC's top as a float: the read-out compares and stores float64 values.
_TOP = float(ADC_MAX)


def compiled(func=None, *, error_model="python", inline="never"):
    """``numba.njit(nogil=True)``, cached on disk if numba finds a writable cache folder.

    Used bare (``@compiled``) or with numba's options (``@compiled(inline="always")``):
    ``error_model="numpy"`` gives inf or nan where Python's model would raise,
    ``inline="always"`` compiles the function into its callers.
    """
    if func is None:
        return lambda f: compiled(f, error_model=error_model, inline=inline)
    options = dict(nogil=True, error_model=error_model, inline=inline)
    try:
        return numba.njit(cache=True, **options)(func)
    except RuntimeError as e:
        # numba looks for the cache folder when it decorates, and raises
        # "cannot cache function ...: no locator available" if none is writable.
        if "no locator available" not in str(e):
            raise
        return numba.njit(**options)(func)


def in_parts(work, size, threads=None, *, least=1, align=1, per_thread=1):
    """Run ``work(i0, i1)`` over ``0:size`` cut into parts, on worker threads.

    For compiled loops that release the GIL and write disjoint parts of their
    output: each part must give the same bits whatever the cut, so the result
    never depends on the number of threads.

    Parameters
    ----------
    work : callable
        ``work(i0, i1)`` does indices ``i0:i1``.
    size : int
        Indices in all.
    threads : int, optional
        Worker threads (default: all CPUs).
    least : int, optional
        Fewest indices worth a thread of their own.
    align : int, optional
        Parts start on multiples of it (the last one ends at ``size``).
    per_thread : int, optional
        Parts per thread, so that uneven ones even out.
    """
    n = max(1, min((os.cpu_count() or 1) if threads is None else int(threads), size // least))
    if n == 1:
        work(0, size)
        return
    edges = np.unique(np.linspace(0, size // align, per_thread * n + 1).astype(int) * align)
    edges[-1] = size
    with ThreadPoolExecutor(max_workers=n) as pool:
        for f in [pool.submit(work, int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]:
            f.result()


@compiled
def add_gaussian_stars(out, row0, x, y, flux, sigma, truncate):
    """Add pixel-integrated round Gaussians into ``out`` (rows ``row0 ...``).

    Parameters
    ----------
    out : 2-D float array
        Rows ``row0 .. row0 + out.shape[0]`` of the frame; modified in place.
    row0 : int
        Frame row of ``out[0]``.
    x, y : 1-D float64 arrays
        Star centres (px, 0-based, pixel centres at integers).
    flux : 1-D float64 array
        Total flux of each star (any unit; the image gets the same unit).
    sigma : 1-D float64 array
        Gaussian standard deviation of each star (px).
    truncate : float
        Each star is drawn out to ``truncate`` sigma (its stamp spans
        ``2 * ceil(truncate * sigma) + 1`` pixels a side).

    Notes
    -----
    Each pixel receives its stars in table order whatever the row blocks,
    so the result does not depend on how the frame is split.
    """
    nrows, nx = out.shape
    wmax = 1
    for k in range(x.shape[0]):
        wmax = max(wmax, 2 * int(math.ceil(truncate * sigma[k])) + 1)
    ex = np.empty(wmax)
    ey = np.empty(wmax)
    for k in range(x.shape[0]):
        half = int(math.ceil(truncate * sigma[k]))
        w = 2 * half + 1
        ys = int(math.floor(y[k] + 0.5)) - half
        ylo = max(ys, row0)
        yhi = min(ys + w, row0 + nrows)
        if ylo >= yhi:
            continue
        xs = int(math.floor(x[k] + 0.5)) - half
        xlo = max(xs, 0)
        xhi = min(xs + w, nx)
        if xlo >= xhi:
            continue
        s = math.sqrt(2.0) * sigma[k]
        prev = math.erf((xlo - 0.5 - x[k]) / s)
        for c in range(xlo, xhi):
            cur = math.erf((c + 0.5 - x[k]) / s)
            ex[c - xlo] = 0.5 * (cur - prev) * flux[k]
            prev = cur
        prev = math.erf((ylo - 0.5 - y[k]) / s)
        for r in range(ylo, yhi):
            cur = math.erf((r + 0.5 - y[k]) / s)
            ey[r - ylo] = 0.5 * (cur - prev)
            prev = cur
        for r in range(ylo, yhi):
            fy = ey[r - ylo]
            orow = r - row0
            for c in range(xlo, xhi):
                out[orow, c] += fy * ex[c - xlo]


@compiled
def electrons_to_adu(counts, noise, bias, out, quantize, dq, saturated, response, regions,
                     read_noise_e, gain, column_gain, step):
    """Read-out of one block in a single pass: (e- + read noise) / gain + bias -> ADC.

    Steps 3b and 4 to 7 of `ccdsim.readout` (`ccdsim.readout.digitize` draws the noise),
    each amplifier's pixels with its own read noise and gain.

    Parameters
    ----------
    counts : 2-D int64 or float64 array
        Electrons of the data columns (from the Poisson draw, or after
        cosmic rays and bleeding): the first ``counts.shape[1]`` columns of
        ``out``; an empty array means none. The other columns get no charge.
    noise : 2-D float32 array (shape (0, 0) if every read noise is 0)
        Standard-normal deviates, scaled here by the pixel's amplifier's read noise.
    bias : 2-D float32 array
        Bias of these rows (ADU).
    out : 2-D uint16 or float32 array
        Where the ADU go.
    quantize : bool
        Round half to even (as ``np.rint``) and clip to 0..65535.
    dq : 2-D uint8 array (shape (0, 0) for none)
        Data-quality bits of these rows: ``saturated`` is set where the ADC
        reads 0 or 65535.
    saturated : int
        The bit to set.
    response : float
        Step 3b, the amplifier's response: the data electrons ``e`` read as
        ``e (1 + response e)``, ``e`` first capped at the curve's peak when
        ``response < 0`` (`ccdsim.physics.response.response_curve`); 0: linear.
    regions : 2-D int64 array, ``(n, 4)``
        Each amplifier's pixels in ``out``: rows ``i0:i1``, columns ``j0:j1``
        (`ccdsim.core.geometry.ReadoutGeometry.regions`), within ``out``
        (not checked here); together they cover ``out`` once.
    read_noise_e : 1-D float64 array, ``(n,)``
        Each amplifier's read noise (e-).
    gain : 1-D float64 array, ``(n,)``
        Each amplifier's gain (e-/ADU).
    column_gain : 1-D float64 array, ``(out.shape[1],)`` (empty: none)
        Each column's gain (e-/ADU), instead of its amplifier's (a CMOS
        sensor's column amplifiers, one amplifier only).
    step : float
        ADU between the converter's values (1: a 16-bit one; 16: 12 bits
        shifted left to 16): values round to multiples of it, the top is the
        largest multiple <= 65535.

    Notes
    -----
    The same arithmetic in numpy takes eight passes over the block (three more
    for the response); fused it is one, which brings the frame within a few
    percent of the cost of its random numbers. The response is computed in
    the same order as `~ccdsim.physics.response.response_curve`, so the pixels are
    the same bit for bit. An amplifier's read noise and gain are loaded once
    for its region, so the loop over its pixels is the one-amplifier loop.
    """
    # Unsigned indices read once per region: numba then needs no check for
    # negative ones, and the inner loop is vectorised as a loop over all of
    # ``out`` is (three times faster than with signed ones).
    ndata = np.uint64(counts.shape[1] if counts.shape[0] > 0 else 0)
    has_noise = noise.shape[0] > 0
    has_dq = dq.shape[0] > 0
    has_cg = column_gain.shape[0] > 0
    top = np.floor(_TOP / step) * step
    per_step = 1.0 / step  # a power of two: x * per_step is x / step exactly
    peak = -0.5 / response if response < 0.0 else np.inf
    for a in range(regions.shape[0]):
        rn, g = read_noise_e[a], gain[a]
        i0, i1 = np.uint64(regions[a, 0]), np.uint64(regions[a, 1])
        j0, j1 = np.uint64(regions[a, 2]), np.uint64(regions[a, 3])
        for i in range(i0, i1):
            for j in range(j0, j1):
                e = 0.0
                if j < ndata:
                    e = float(counts[i, j])
                    if response != 0.0:
                        e = min(e, peak)
                        e = (e * response + 1.0) * e
                if has_noise:
                    e += rn * noise[i, j]
                v = (e / column_gain[j] if has_cg else e / g) + bias[i, j]
                if quantize:
                    v = np.rint(v * per_step) * step
                    if v <= 0.0:
                        v = 0.0
                        if has_dq:
                            dq[i, j] |= saturated
                    elif v >= top:
                        v = top
                        if has_dq:
                            dq[i, j] |= saturated
                out[i, j] = v


@compiled
def keep_electrons(counts, full_well, kept, over):
    """Copy a block's electrons into ``kept`` (uint16) and note its columns above the full well.

    One pass over the block while it is in cache, for `ccdsim.readout.moving`.

    Parameters
    ----------
    counts : 2-D int64 array
        Electrons of the block (from the Poisson draw).
    full_well : float
        A pixel above it is over full (``inf``: none is).
    kept : 2-D uint16 array, shape of ``counts``
        Where the copy goes.
    over : 1-D bool array, ``counts.shape[1]``
        Set where a column has a pixel above ``full_well``.

    Returns
    -------
    bool
        False if a pixel holds more than 65535 e- (``kept`` is then not a copy).
    """
    nrows, ncols = counts.shape
    fits = True
    for i in range(nrows):
        for j in range(ncols):
            e = counts[i, j]
            if e > ADC_MAX:
                fits = False
            if e > full_well:  # compared as float64, as the electron image was
                over[j] = True
            kept[i, j] = e
    return fits

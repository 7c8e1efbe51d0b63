"""Frames read in bands of rows and combined, so memory holds one band of a group at a time.

`Layout` says where the data and the overscan are (``DATASEC``/``TRIMSEC``
and ``BIASSEC`` of the header, FITS sections, or the whole frame).
`combine` streams a group of frames band by band: each pixel's values are
clipped at 5 robust sigmas from their median (``mad_std``, as
``ccdproc.combine(method="average", sigma_clip=True)`` does, but never
tighter than the band's median sigma: a few frames' MAD can be tiny by
chance, and clipping good values would make the mean's error look smaller
than it is) and averaged, so
a cosmic ray in one frame leaves no trace; each frame's overscan level is
its overscan's median. Memory: the group's band (frames x rows x columns,
float32), at most `BAND_BYTES`. Each band's per-pixel work runs in `THREADS`
threads over chunks of its rows; the numbers are the same for any number.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from astropy.io import fits

from ..core.validate import ParameterError

__all__ = ["BAND_BYTES", "Layout", "Combined", "layout_of", "section_slices", "combine",
           "read_data", "frame_levels", "median_of_frames", "median_along", "in_threads",
           "in_blocks"]

#: Bytes of one band of a group of frames (float32), the fit's working memory per group.
BAND_BYTES = 256 << 20
#: Lines (rows or columns) a threaded pass takes at once (`in_blocks`): down the columns
#: of a 4k map a block's lines stay in the cache, 3 to 4 times faster than one call.
LINE_BLOCK = 64
#: Threads sharing each band's per-pixel work (the numbers do not depend on it).
THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1))
#: Clipping threshold of the combine, in robust standard deviations.
CLIP_SIGMA = 5.0
#: 1 / Phi^-1(3/4): a normal sample's standard deviation from its median absolute deviation.
MAD_TO_STD = 1.482602218505602


@dataclass(frozen=True)
class Layout:
    """Where a frame's data and overscan are.

    Parameters
    ----------
    data : tuple of slice
        ``(rows, columns)`` of the data section.
    overscan : tuple of slice or None
        ``(rows, columns)`` of the serial overscan used (its first third of
        columns, where charge leaks from the data, left out), or None.
    overscan_columns : int
        Columns of the serial overscan in the header's section (0: none).
    readout_shape : tuple of int
        ``(ny, nx)`` read out.
    """

    data: tuple
    overscan: tuple | None
    overscan_columns: int
    readout_shape: tuple

    @property
    def shape(self):
        """``(ny, nx)`` of the data section."""
        ys, xs = (s.indices(n) for s, n in zip(self.data, self.readout_shape))
        return (len(range(*ys)), len(range(*xs)))


def section_slices(text, shape, key):
    """A header's FITS section (``[x1:x2,y1:y2]``, 1-based, ``*`` or ``:`` for all, columns
    only) as numpy ``(rows, columns)`` slices inside ``shape``; a `ParameterError` naming
    the card ``key`` when it is not one."""
    try:
        body = str(text).strip()
        if not (body.startswith("[") and body.endswith("]")):
            raise ValueError
        parts = body[1:-1].split(",")
        if len(parts) == 1:  # columns only (the guide's thermo-electric BIASSEC='[4096:4109]')
            parts = [parts[0], "*"]
        if len(parts) != 2:
            raise ValueError
        out = []
        for part, n in zip(reversed(parts), shape):
            part = part.strip()
            if part in ("*", ":", ""):
                out.append(slice(0, n))
                continue
            lo, hi = (int(v) for v in part.split(":"))
            if not 1 <= lo <= hi <= n:
                raise ValueError
            out.append(slice(lo - 1, hi))
        return tuple(out)
    except ValueError:
        raise ParameterError(f"{key} = {text!r} is not a FITS section inside the "
                             f"{shape[0]}x{shape[1]} frame", param="frames") from None


def layout_of(header, shape):
    """The data and overscan sections of frames with this header.

    Parameters
    ----------
    header : astropy.io.fits.Header
        A frame's header (``DATASEC`` or ``TRIMSEC``; ``BIASSEC``).
    shape : tuple of int
        ``(ny, nx)`` read out.

    Returns
    -------
    Layout
    """
    key = "DATASEC" if "DATASEC" in header else "TRIMSEC" if "TRIMSEC" in header else None
    data = section_slices(header[key], shape, key) if key else (slice(0, shape[0]), slice(0, shape[1]))
    overscan, ncol = None, 0
    if "BIASSEC" in header:
        rows, cols = section_slices(header["BIASSEC"], shape, "BIASSEC")
        # Columns of the overscan that are not data (a header's sections may overlap).
        right = cols.start >= (data[1].start + data[1].stop) / 2
        lo, hi = (max(cols.start, data[1].stop), cols.stop) if right \
            else (cols.start, min(cols.stop, data[1].start))
        ncol = max(hi - lo, 0)
        # Beside the data: skip the third of the columns next to it, where charge leaks in.
        use = slice(lo + ncol // 3, hi) if right else slice(lo, hi - ncol // 3)
        overscan = (rows, use) if use.stop > use.start else None
    return Layout(data, overscan, ncol, tuple(shape))


def read_data(path, rows=None):
    """A frame's rows as float32 ADU (the whole frame without ``rows``).

    Parameters
    ----------
    path : str or object
        The FITS file (uncompressed files are read by sections,
        only the rows asked for), or a frame made from files that reads
        its own rows (``path.read(rows)``: several amplifiers assembled,
        `ccdsim.twin.amps.AssembledFrame`).
    rows : slice, optional
        The rows.

    Returns
    -------
    numpy.ndarray
    """
    if not isinstance(path, str):
        return path.read(rows)
    rows = rows or slice(None)
    try:
        with fits.open(path, memmap=False, lazy_load_hdus=True) as hdul:
            hdu = hdul[0]
            if path.lower().endswith((".gz", ".bz2")):
                return np.asarray(hdu.data[rows], dtype=np.float32)
            return np.asarray(hdu.section[rows], dtype=np.float32)
    except (OSError, ValueError, TypeError) as exc:
        raise ParameterError(f"{path.rsplit('/', 1)[-1]}: cannot read its pixels ({exc})",
                             param="frames") from None


def frame_levels(path, layout, median=True, frame=None):
    """A frame's overscan median and its data section's mean and median (ADU).

    Parameters
    ----------
    path : str
        The frame.
    layout : Layout
        Its sections.
    median : bool, optional
        False: the data section's median is not computed (NaN), the
        costliest of the three on a large frame.
    frame : numpy.ndarray, optional
        Its pixels, already read (several amplifiers' sections of one frame).

    Returns
    -------
    overscan : float
        NaN without an overscan.
    mean, median : float
        Over the data section.
    """
    frame = read_data(path) if frame is None else frame
    data = frame[layout.data]
    overscan = float(np.median(frame[layout.overscan])) if layout.overscan else float("nan")
    return (overscan, float(data.mean(dtype=np.float64)),
            float(np.median(data)) if median else float("nan"))


@dataclass
class Combined:
    """A group of frames combined.

    Parameters
    ----------
    mean : numpy.ndarray
        The clipped mean of the data section, float32 ADU, each frame's
        offset taken off first.
    var : numpy.ndarray
        Each pixel's variance of that mean (ADU^2): the clipped values'
        sample variance over their number.
    overscan : numpy.ndarray
        Each frame's overscan median (ADU; NaN without an overscan).
    frames_mean : numpy.ndarray
        Each frame's mean over the data section after the offset (ADU).
    """

    mean: np.ndarray
    var: np.ndarray
    overscan: np.ndarray
    frames_mean: np.ndarray


def median_of_frames(stack):
    """The median along axis 0 (the frames), as `numpy.median`, the same bits.

    A sort along the frames: numpy's median there partitions each pixel's few
    values one call at a time, 7 times slower.
    """
    ordered = np.sort(stack, axis=0)
    n = len(ordered)
    if n % 2:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def in_threads(func, ny, threads):
    """``func(rows)`` over `threads` chunks of ``range(ny)`` at once (it writes its own rows)."""
    step = -(-ny // max(1, min(threads, ny)))
    chunks = [slice(a, min(a + step, ny)) for a in range(0, ny, step)]
    if len(chunks) == 1:
        func(chunks[0])
        return
    with ThreadPoolExecutor(len(chunks)) as pool:
        list(pool.map(func, chunks))


def in_blocks(func, n, threads=None):
    """``func(lines)`` for each block of `LINE_BLOCK` of ``n`` lines, the blocks shared among
    `THREADS` threads (each writes its own lines: the result does not depend on how many)."""
    def part(blocks):
        for b in range(blocks.start, blocks.stop):
            func(slice(b * LINE_BLOCK, min((b + 1) * LINE_BLOCK, n)))

    in_threads(part, -(-n // LINE_BLOCK), THREADS if threads is None else threads)


def median_along(a, axis, threads=None):
    """``numpy.median(a, axis)`` of a 2-D array, the same bits, by blocks of lines across
    ``axis`` in threads (`in_blocks`)."""
    a = np.asarray(a)
    out = np.empty(a.shape[1 - axis], dtype=a.dtype if a.dtype.kind == "f" else np.float64)

    def part(lines):
        out[lines] = np.median(a[:, lines] if axis == 0 else a[lines], axis=axis)

    in_blocks(part, len(out), threads)
    return out


def _clipped(stack, threads=None):
    """Per pixel: the mean and the mean's variance of values within CLIP_SIGMA of the median.

    The median and the median absolute deviation come from sorting each
    pixel's few values (faster than `numpy.median` along the frames, the
    same numbers); the sums run frame by frame, as `numpy.sum` along the
    frames does, without a float64 copy of the whole stack. Chunks of rows
    run in threads (`THREADS`): every step but the band's median sigma is
    per pixel, so the numbers do not depend on how many.
    """
    threads = THREADS if threads is None else threads
    shape = stack.shape[1:]
    med, sig = np.empty(shape, np.float32), np.empty(shape, np.float32)

    def centre(rows):
        part = stack[:, rows]
        med[rows] = m = median_of_frames(part)
        sig[rows] = median_of_frames(np.abs(part - m)) * MAD_TO_STD

    in_threads(centre, shape[0], threads)
    # A few frames' MAD can be tiny by chance: never clip tighter than the band's typical noise.
    floor = max(float(np.median(sig)), 1e-3)
    mean, var = np.empty(shape, np.float32), np.empty(shape, np.float32)

    def average(rows):
        part = stack[:, rows]
        keep = np.abs(part - med[rows]) <= CLIP_SIGMA * np.maximum(sig[rows], floor)
        n = keep.sum(axis=0)
        s = np.zeros(part.shape[1:])
        for frame, k in zip(part, keep):
            s += np.where(k, frame, 0)
        m = s / np.maximum(n, 1)
        ss = np.zeros(part.shape[1:])
        for frame, k in zip(part, keep):
            d = frame - m
            d *= d
            ss += np.where(k, d, 0)
        mean[rows] = m
        var[rows] = ss / np.maximum(n - 1, 1) / np.maximum(n, 1)

    in_threads(average, shape[0], threads)
    return mean, var, med


def combine(paths, layout, offsets=None, subtract=None, scale=None, outliers=None):
    """Combine frames band by band: clipped mean of the data section, overscan medians.

    Parameters
    ----------
    paths : list of str
        The frames (at least one).
    layout : Layout
        Where their data and overscan are.
    offsets : array_like, optional
        ADU taken off each frame first (default: none).
    subtract : numpy.ndarray, optional
        A data-section map taken off each frame after its offset (a master bias).
    scale : array_like, optional
        Each frame divided by this after the subtraction (flats to mean 1).
    outliers : callable, optional
        Called per band with ``(band rows, stack, median)`` (frames x rows x
        columns, after offsets, subtraction and scale): to find what a frame has
        that the others do not (cosmic rays).

    Returns
    -------
    Combined
    """
    n = len(paths)
    ny, nx = layout.readout_shape
    dy, dx = layout.data
    y0, y1, _ = dy.indices(ny)
    shape = layout.shape
    rows_per_band = max(1, min(y1 - y0, BAND_BYTES // max(1, 4 * n * nx)))
    offsets = np.zeros(n) if offsets is None else np.asarray(offsets, dtype=float)
    scale = np.ones(n) if scale is None else np.asarray(scale, dtype=float)
    mean = np.empty(shape, np.float32)
    var = np.empty(shape, np.float32)
    os_sum, os_rows = np.zeros(n), 0
    fsum = np.zeros(n)
    for a in range(y0, y1, rows_per_band):
        b = min(a + rows_per_band, y1)
        band = np.empty((n, b - a, nx), np.float32)
        for i, p in enumerate(paths):
            band[i] = read_data(p, slice(a, b))
        if layout.overscan is not None:
            oy, ox = layout.overscan
            oy0, oy1, _ = oy.indices(ny)
            lo, hi = max(a, oy0), min(b, oy1)
            if hi > lo:
                os_sum += np.median(band[:, lo - a:hi - a, ox].reshape(n, -1), axis=1) * (hi - lo)
                os_rows += hi - lo
        data = band[:, :, dx] - offsets[:, None, None].astype(np.float32)
        del band
        if subtract is not None:
            data -= subtract[a - y0:b - y0]
        data /= scale[:, None, None].astype(np.float32)
        fsum += data.reshape(n, -1).sum(axis=1, dtype=np.float64)
        if n >= 3:
            m, v, med = _clipped(data)
        else:
            m = data.mean(axis=0)
            v = (data.var(axis=0, ddof=1) / n if n > 1 else np.full_like(m, np.nan))
        mean[a - y0:b - y0], var[a - y0:b - y0] = m, v
        if outliers is not None and n >= 3:
            outliers(slice(a - y0, b - y0), data, med)
    overscan = os_sum / os_rows if os_rows else np.full(n, np.nan)
    return Combined(mean, var, overscan, fsum / (shape[0] * shape[1]))

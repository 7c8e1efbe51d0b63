"""Fixed-pattern camera defects: pure functions of (shape, parameters, rng).

Pass a Generator from `ccdsim.seeds.camera_rng` so the defects belong to the
camera, not to a frame.
"""

import numpy as np

__all__ = ["bad_columns", "bias_map", "hot_pixel_indices", "hot_pixels_in_rows", "hot_pixel_mask",
           "dark_map", "vignetting", "dust_donuts", "pixel_response", "flat_map",
           "bias_structure", "leak_profile"]


def bad_columns(shape, n_columns, amplitude, *, rng=None):
    """Choose bad columns and the per-row offset pattern they carry.

    As in the guide, every bad column carries the same per-row pattern of
    integer offsets drawn uniformly from ``[0, amplitude)``.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the frame.
    n_columns : int
        Number of distinct bad columns (capped at ``nx``).
    amplitude : float
        Upper bound of the offsets, in ADU (the guide uses 10% of the bias level).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).

    Returns
    -------
    columns : ndarray of int
        Sorted column indices (0-based).
    pattern : ndarray of float32, shape (ny,)
        Offset added to each row of every bad column, in ADU.
    """
    rng = np.random.default_rng(rng)
    ny, nx = shape
    columns = np.sort(rng.choice(nx, size=min(int(n_columns), nx), replace=False))
    high = max(int(amplitude), 1)
    pattern = rng.integers(0, high, size=ny).astype(np.float32)
    return columns, pattern


def bias_map(shape, level, columns=(), pattern=None):
    """Bias map in ADU: a constant ``level`` plus ``pattern`` in the bad ``columns``.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    level : float
        Bias level, in ADU.
    columns : array_like of int, optional
        Bad column indices (0-based), as from `bad_columns`.
    pattern : ndarray, shape (ny,), optional
        Offset added to each row of the bad columns, in ADU.

    Returns
    -------
    ndarray of float32, in ADU.
    """
    out = np.full(shape, level, dtype=np.float32)
    if len(columns):
        out[:, columns] += pattern[:, None]
    return out


def hot_pixel_indices(shape, fraction, *, rng=None):
    """Sorted flat indices of ``int(fraction * ny * nx)`` distinct hot pixels.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    fraction : float
        Fraction of pixels that are hot, in [0, 1] (the guide uses 1e-4).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).
    """
    rng = np.random.default_rng(rng)
    npix = shape[0] * shape[1]
    return np.sort(rng.choice(npix, size=int(fraction * npix), replace=False))


def hot_pixels_in_rows(indices, nx, r0, r1):
    """``(rows, cols)`` of the hot pixels in rows ``r0:r1``, rows relative to ``r0``.

    Parameters
    ----------
    indices : ndarray of int
        Sorted flat indices (``row * nx + col``), as from `hot_pixel_indices`.
    nx : int
        Pixels per row.
    r0, r1 : int
        First and one-past-last row.

    Returns
    -------
    tuple of ndarray
        Index arrays for a ``(r1 - r0, nx)`` block.
    """
    lo, hi = np.searchsorted(indices, [r0 * nx, r1 * nx])
    return np.divmod(indices[lo:hi] - r0 * nx, nx)


def hot_pixel_mask(shape, fraction, *, rng=None):
    """Boolean mask of the pixels `hot_pixel_indices` picks.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    fraction : float
        Fraction of pixels that are hot, in [0, 1].
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).

    Returns
    -------
    ndarray of bool, shape ``shape``
    """
    mask = np.zeros(shape[0] * shape[1], dtype=bool)
    mask[hot_pixel_indices(shape, fraction, rng=rng)] = True
    return mask.reshape(shape)


def dark_map(shape, current, hot_mask=None, hot_factor=1e4):
    """Dark current per pixel in e-/pixel/s; hot pixels run ``hot_factor`` times higher.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    current : float
        Dark current of an ordinary pixel, in e-/pixel/s.
    hot_mask : ndarray of bool, optional
        Hot pixels, as from `hot_pixel_mask`; none if None.
    hot_factor : float, optional
        Hot pixels' dark current relative to ``current`` (the guide uses 1e4).

    Returns
    -------
    ndarray of float32, in e-/pixel/s.
    """
    out = np.full(shape, current, dtype=np.float32)
    if hot_mask is not None:
        out[hot_mask] = current * hot_factor
    return out


# Flat field (sensitivity) ---------------------------------------------------
# Multiplies light only (sky and stars), never bias or dark current.


def vignetting(shape, depth):
    """Smooth fall-off of the illumination towards the corners.

    ``1 - depth * (r / r_corner)**2`` with ``r`` the distance from the frame
    centre: 1 at the centre, ``1 - depth`` in the corners (the shape of
    ``cos**4`` vignetting near the axis).

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    depth : float
        Fractional loss of light in the corners, in [0, 1).

    Returns
    -------
    ndarray of float32, relative sensitivity.
    """
    ny, nx = shape
    y = (np.arange(ny, dtype=np.float32) - (ny - 1) / 2) ** 2
    x = (np.arange(nx, dtype=np.float32) - (nx - 1) / 2) ** 2
    r2_corner = max(((ny - 1) / 2) ** 2 + ((nx - 1) / 2) ** 2, 1.0)
    return (1 - np.float32(depth / r2_corner) * (y[:, None] + x[None, :])).astype(np.float32)


def dust_donuts(shape, n_spots, *, radius=(8.0, 30.0), depth=(0.01, 0.05), rng=None):
    """Shadows of dust on a window or filter: out-of-focus rings ("donuts").

    Each shadow is an annulus (the telescope's central obstruction makes the
    hole) with outer radius uniform in ``radius``, inner radius 0.4 of it and
    a fractional loss of light uniform in ``depth``, with edges softened over
    about one pixel.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    n_spots : int
        Number of dust shadows (>= 0).
    radius : tuple of float, optional
        Range of the outer radius, in pixels.
    depth : tuple of float, optional
        Range of the fractional loss of light inside the ring.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7); pass ``camera_rng(seed, Defect.DUST)``.

    Returns
    -------
    ndarray of float32, relative sensitivity (1 outside the shadows).
    """
    rng = np.random.default_rng(rng)
    ny, nx = shape
    out = np.ones(shape, dtype=np.float32)
    xc = rng.uniform(0, nx, n_spots)
    yc = rng.uniform(0, ny, n_spots)
    r_out = rng.uniform(*radius, n_spots)
    d = rng.uniform(*depth, n_spots)
    for x0, y0, ro, dd in zip(xc, yc, r_out, d):
        half = int(np.ceil(ro + 2))
        ys = slice(max(int(y0) - half, 0), min(int(y0) + half + 1, ny))
        xs = slice(max(int(x0) - half, 0), min(int(x0) + half + 1, nx))
        yy, xx = np.mgrid[ys, xs]
        r = np.hypot(xx - x0, yy - y0)
        # 1 inside the annulus, 0 outside, linear over one pixel at each edge
        inside = np.clip(ro + 0.5 - r, 0, 1) * np.clip(r - 0.4 * ro + 0.5, 0, 1)
        out[ys, xs] *= (1 - dd * inside).astype(np.float32)
    return out


def pixel_response(shape, rms, *, rng=None):
    """Pixel-to-pixel response non-uniformity (PRNU): ``1 + rms * N(0, 1)`` per pixel.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    rms : float
        Fractional rms of the pixel responses (about 0.01 for real CCDs).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7); pass ``camera_rng(seed, Defect.FLAT)``.
    """
    rng = np.random.default_rng(rng)
    out = rng.standard_normal(shape, dtype=np.float32)
    out *= np.float32(rms)
    out += 1
    return np.clip(out, 0.01, None, out=out)


def flat_map(shape, *, vignetting_depth=0.0, dust=None, prnu=None):
    """Sensitivity map: vignetting x dust x PRNU, normalised to mean 1.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    vignetting_depth : float, optional
        Fractional loss of light in the corners (see `vignetting`).
    dust, prnu : ndarray, optional
        Maps from `dust_donuts` and `pixel_response`.

    Returns
    -------
    ndarray of float32, dimensionless, mean 1 over the data section.
    """
    out = vignetting(shape, vignetting_depth)
    for part in (dust, prnu):
        if part is not None:
            out *= part
    out /= np.float32(out.mean(dtype=np.float64))
    return out


def bias_structure(shape, gradient, row_rms, column_rms, *, row_rng=None, column_rng=None):
    """Fixed 2-D bias structure of the data section, as a row and a column profile.

    The structure is ``rows[:, None] + columns[None, :]``: a linear gradient
    (mean 0) that rises by ``gradient`` from the first pixel to the last
    (corner to corner), plus Gaussian row and column patterns.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    gradient : float
        Corner-to-corner rise, in ADU (half along the rows, half along the columns).
    row_rms, column_rms : float
        Rms of the row and column patterns, in ADU (0: none, nothing drawn).
    row_rng, column_rng : {None, int, numpy.random.Generator}, optional
        Sources of the two patterns (SPEC 7).

    Returns
    -------
    rows : ndarray of float32, shape (ny,)
        ADU added to every pixel of each row.
    columns : ndarray of float32, shape (nx,)
        ADU added to every pixel of each column.
    """
    ny, nx = shape
    # Half the rise along each axis; centred so the mean bias stays the bias level.
    rows = 0.5 * gradient * (np.linspace(0, 1, ny) - 0.5) if ny > 1 else np.zeros(1)
    columns = 0.5 * gradient * (np.linspace(0, 1, nx) - 0.5) if nx > 1 else np.zeros(1)
    if row_rms > 0:
        rows = rows + row_rms * np.random.default_rng(row_rng).standard_normal(ny)
    if column_rms > 0:
        columns = columns + column_rms * np.random.default_rng(column_rng).standard_normal(nx)
    return rows.astype(np.float32), columns.astype(np.float32)


def leak_profile(n_columns, fraction, length):
    """Fraction of a row's last data pixel's charge in each overscan column.

    Parameters
    ----------
    n_columns : int
        Overscan columns.
    fraction : float
        Fraction in the first overscan column.
    length : float
        e-folding length, in columns (> 0).

    Returns
    -------
    ndarray of float64, shape (n_columns,)
        ``fraction * exp(-k / length)`` for ``k = 0, 1, ...``.
    """
    return fraction * np.exp(-np.arange(n_columns) / length)

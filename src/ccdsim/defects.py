"""Fixed-pattern camera defects: pure functions of (shape, parameters, rng).

Pass a Generator from `ccdsim.seeds.camera_rng` so the defects belong to the
camera, not to a frame.
"""

import numpy as np

__all__ = ["bad_columns", "bias_map", "hot_pixel_mask", "dark_map"]


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


def hot_pixel_mask(shape, fraction, *, rng=None):
    """Boolean mask with ``int(fraction * ny * nx)`` distinct hot pixels.

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
    mask = np.zeros(npix, dtype=bool)
    mask[rng.choice(npix, size=int(fraction * npix), replace=False)] = True
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

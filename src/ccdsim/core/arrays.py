"""Arrays: a camera's maps made read-only, and step 1's sum made an array when it must be."""

import numpy as np

__all__ = ["read_only", "as_rows"]


def read_only(value):
    """``value`` with its arrays (it, or the items of a tuple) made read-only.

    A camera's maps are shared by every frame and thread; a write into one
    (astropy once byteswapped a shared flat in place) would change them all.

    Parameters
    ----------
    value : ndarray or tuple
        What to freeze; items that are not arrays are left as they are.

    Returns
    -------
    The same object.
    """
    for a in value if isinstance(value, tuple) else (value,):
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return value


def as_rows(expected, shape):
    """Step 1's running sum as an array of ``shape``: a uniform number becomes its array.

    Step 1's terms keep the sum a number while every pixel of the rows gets
    the same charge (one Poisson draw of a number is faster), and make it an
    array, with the same values, the first time one varies from pixel to pixel.

    Parameters
    ----------
    expected : float or ndarray
        The sum so far, in e-.
    shape : tuple of int
        ``(rows, nx)``.

    Returns
    -------
    ndarray of float64
    """
    if np.ndim(expected):
        return expected
    return np.full(shape, float(expected))

"""Arrays a camera shares between threads and frames: made once, then read-only."""

import numpy as np

__all__ = ["read_only"]


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

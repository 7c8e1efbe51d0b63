"""Values shared between threads and frames: made once, then read-only.

How ccdsim remembers what it computed, in two ways only:

- a value of one object (a camera's maps, a plan's views and clocks, its
  after-images): `cached_once` as a property, `cached_on` for a function of
  the object or a value per key (a camera's flat in each filter). Kept in the
  object's ``__dict__``, so it lives and is pickled with the object; computed
  once even when threads race; its arrays read-only.
- a pure function of numbers (`ccdsim.physics`: a glow map, a shutter's
  offsets, a hot-pixel population): `functools.lru_cache`, a small
  module-level memo keyed by the numbers that define the value, so equal
  cameras share it (the explorer makes a new camera at each change) and a
  few are kept (a night's exposure times).

And one way to keep memory that holds no value: `lent`, the scratch arrays
an object (a camera) lends its frames, kept between them, not pickled.

`as_rows` turns step 1's running sum, a number while uniform, into its array;
`bin_blocks` reduces a frame's groups of pixels to one (binning).
"""

import threading
import weakref
from contextlib import contextmanager
from functools import cached_property

import numpy as np

__all__ = ["read_only", "cached_on", "cached_once", "lent", "as_rows", "bin_blocks"]

_MISSING = object()
# One lock per key (an attribute's name), shared by every object: taken only until
# the value exists, and never pickled with the object (a lock cannot be).
_LOCKS = {}
_LOCKS_GUARD = threading.Lock()


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


def _lock(key):
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


def cached_on(obj, key, compute):
    """``compute()``, computed once for ``obj`` and kept in its ``__dict__`` under ``key``.

    Threads asking at the same time wait for the first one's value, so all
    get the same object (Python 3.12 dropped `functools.cached_property`'s
    lock). Its arrays are made read-only (`read_only`).

    Parameters
    ----------
    obj : object
        The object the value belongs to (a frozen dataclass too: its
        ``__dict__`` is written directly, as `functools.cached_property` does).
    key : str
        The value's name in ``obj.__dict__``.
    compute : callable
        Makes the value, without arguments.

    Returns
    -------
    object
    """
    cache = obj.__dict__
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        with _lock(key):
            value = cache.get(key, _MISSING)
            if value is _MISSING:
                value = cache[key] = read_only(compute())
    return value


class cached_once(cached_property):
    """A `functools.cached_property` computed once even when threads race (`cached_on`).

    Parameters
    ----------
    func : callable
        Computes the value from the object (once); its arrays are made read-only.
    """

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return cached_on(instance, self.attrname, lambda: self.func(instance))


# id(owner) -> {(name, shape, dtype): [free arrays]}; an owner's entry goes with it.
_LENT = {}
_LENT_GUARD = threading.Lock()


@contextmanager
def lent(owner, name, shape, dtype=np.float64):
    """An array lent for one frame and kept by ``owner`` afterwards (contents undefined).

    A frame read amplifier by amplifier goes through large temporary arrays
    (a 16-amplifier 4k sensor: ~500 MB). Fresh memory is zeroed by the kernel
    a page at a time, and where it gives out huge pages it may first compact
    memory: measured 0.05 to 0.35 s of system time a frame on that sensor (2
    cores), a third of the frame at worst. Kept by the camera, its next frame
    reuses them. They are freed with the owner and never pickled with it;
    frames made at once from one owner each get their own (as many are kept
    as were ever lent at once).

    Parameters
    ----------
    owner : object
        What keeps the array between frames (the camera).
    name : str
        The array's role: arrays of one name, shape and dtype are lent again.
    shape : tuple of int
    dtype : numpy dtype, optional

    Yields
    ------
    ndarray
        C-ordered, ``shape`` and ``dtype``, holding whatever its last use left;
        nothing that outlives the ``with`` may keep it or a view of it.
    """
    key = (name, tuple(int(n) for n in shape), np.dtype(dtype).str)
    with _LENT_GUARD:
        pool = _LENT.get(id(owner))
        if pool is None:
            pool = _LENT[id(owner)] = {}
            weakref.finalize(owner, _LENT.pop, id(owner), None)
        free = pool.setdefault(key, [])
        array = free.pop() if free else None
    if array is None:
        array = np.empty(key[1], dtype=dtype)
    try:
        yield array
    finally:
        with _LENT_GUARD:
            free.append(array)


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


def _bin_axis(n, data, factor, after):
    """Along one axis: the indices kept and where each group starts (`bin_blocks`)."""
    whole = data // factor * factor  # leftover rows (columns) are dropped
    rest = (n - data) // after * after
    keep = np.concatenate([np.arange(whole), data + np.arange(rest)])
    starts = np.concatenate([np.arange(0, whole, factor), whole + np.arange(0, rest, after)])
    return keep, starts, np.diff(np.append(starts, len(keep)))


def bin_blocks(a, binning, data=None, reduce=np.add, overscan_binned=False):
    """Reduce each ``NY x NX`` group of pixels of the data section to one pixel.

    The data section is ``a[:ny, :nx]``; its rows (columns) beyond the last
    whole group are dropped, as cameras do. Rows after the data (overscan
    rows) are kept one by one, their columns grouped as the data's; columns
    after it (overscan columns) likewise: each axis is binned where the data
    is. With ``overscan_binned`` they are grouped as the data instead, on their
    own (their leftover dropped too).

    Parameters
    ----------
    a : ndarray, 2-D
        The pixels (cast to a wide type first when sums could overflow).
    binning : tuple of int
        ``(NY, NX)``: rows and columns per group.
    data : tuple of int, optional
        ``(ny, nx)`` of the data section at the array's lower-left; default: all of ``a``.
    reduce : numpy.ufunc, optional
        How a group becomes one value: `numpy.add` (a sum), `numpy.bitwise_or` (DQ bits).
    overscan_binned : bool, optional
        Group the rows and columns after the data ``NY x NX`` too.

    Returns
    -------
    out : ndarray
        ``(ny // NY + rows after, nx // NX + columns after)`` (the rows and
        columns after divided by ``NY``, ``NX`` with ``overscan_binned``), of
        ``a``'s dtype.
    counts : ndarray of int64
        Pixels in each group, the shape of ``out`` (for a mean: ``out / counts``).
    """
    a = np.asarray(a)
    ny, nx = a.shape if data is None else data
    by, bx = int(binning[0]), int(binning[1])
    rows, row_starts, row_counts = _bin_axis(a.shape[0], ny, by, by if overscan_binned else 1)
    cols, col_starts, col_counts = _bin_axis(a.shape[1], nx, bx, bx if overscan_binned else 1)
    out = reduce.reduceat(a[rows], row_starts, axis=0)
    out = reduce.reduceat(out[:, cols], col_starts, axis=1)
    return out, np.outer(row_counts, col_counts)

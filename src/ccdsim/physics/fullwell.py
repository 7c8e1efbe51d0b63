"""Full well: charge above a pixel's capacity spills along its column.

A CCD pixel holds at most ``full_well`` electrons; the excess flows into the
neighbouring pixels of the same column (the channel stops block the rows),
half up and half down, filling each neighbour to capacity before going on.
Charge is conserved: what reaches the end of a column turns back, so only a
column full from end to end loses charge.

`bin_charge` is a CCD's on-chip binning (step 3, after the bleeding): the
charge of each ``NY x NX`` group of pixels is summed in the serial register
before it is read, and the register's own full well caps the sum.
"""

import numpy as np

from ..core.arrays import bin_blocks

__all__ = ["bleed_columns", "bin_charge", "has_persistence"]


def _spill(col, start, step, charge, full_well):
    """Pour ``charge`` into ``col`` from ``start`` on in direction ``step``; return what is left."""
    seg = col[start::step] if step > 0 else col[start::-1] if start >= 0 else col[:0]
    if charge <= 0 or seg.size == 0:
        return charge
    # Over-full pixels further on (another star's) have no room and keep their excess.
    room = np.cumsum(np.maximum(full_well - seg, 0), dtype=np.float64)
    k = int(np.searchsorted(room, charge))  # pixels filled to the brim
    if k >= seg.size:
        np.maximum(seg, full_well, out=seg)
        return charge - room[-1]
    np.maximum(seg[:k], full_well, out=seg[:k])
    seg[k] += charge - (room[k - 1] if k else 0.0)
    return 0.0


def bleed_columns(electrons, full_well, *, columns=None):
    """Move charge above ``full_well`` along the columns, in place.

    Step 3 of the read-out (`ccdsim.readout`), after the cosmic rays: on the
    whole data section, in electrons, before the read noise.

    Parameters
    ----------
    electrons : ndarray, shape (ny, nx)
        Electrons per pixel (float); modified in place.
    full_well : float
        Capacity of a pixel, in electrons.
    columns : array_like of int, optional
        The columns that may hold a pixel above ``full_well``, when the caller
        knows them (the read-out notes them block by block); default: found here.

    Returns
    -------
    ndarray of bool
        Pixels that were full or received spilled charge.
    """
    touched = np.zeros(electrons.shape, dtype=bool)
    fw = electrons.dtype.type(full_well)
    if columns is None:
        columns = np.flatnonzero((electrons > fw).any(axis=0))
    for j in columns:
        if not (electrons[:, j] > fw).any():
            continue
        col = electrons[:, j]
        before = col.copy()
        over = col > fw
        # runs of over-full pixels: [a, b)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], over.view(np.int8), [0]))))
        for a, b in zip(edges[::2], edges[1::2]):
            excess = float(np.sum(col[a:b], dtype=np.float64)) - float(fw) * (b - a)
            col[a:b] = fw
            up = excess / 2
            left = _spill(col, b, 1, up, fw)  # towards higher rows
            left = _spill(col, a - 1, -1, excess - up + left, fw)  # then lower rows
            _spill(col, b, 1, left, fw)  # the lower end may be full: back up
        touched[:, j] = (col != before) | (col >= fw)
    return touched


def bin_charge(electrons, xbinning, ybinning, serial_full_well=None):
    """Step 3, CCD binning: each ``ybinning x xbinning`` group's charge summed, then capped.

    The rows and columns beyond the last whole group are dropped (never
    read), as cameras do. A sum above ``serial_full_well`` keeps that much
    (the register spills the rest into the substrate; it is not read).

    Parameters
    ----------
    electrons : ndarray, shape (ny, nx)
        Electrons of the data section after the charge that moves (cosmic
        rays, the full well's bleeding).
    xbinning, ybinning : int
        Columns and rows summed into one pixel.
    serial_full_well : float or None, optional
        The serial register's capacity, in e-; None: no limit.

    Returns
    -------
    binned : ndarray of float64, shape ``(ny // ybinning, nx // xbinning)``
        e- per binned pixel.
    clipped : ndarray of bool
        Binned pixels capped at ``serial_full_well``.
    """
    binned, _ = bin_blocks(np.asarray(electrons, dtype=np.float64), (ybinning, xbinning))
    clipped = np.zeros(binned.shape, dtype=bool)
    if serial_full_well is not None:
        clipped = binned > serial_full_well
        np.minimum(binned, serial_full_well, out=binned)
    return binned, clipped


def has_persistence(camera):
    """True if the camera leaks charge into later frames (``persistence > 0`` and a full well).

    Persistence is the after-image of pixels over the full well: a fraction
    ``persistence`` of the expected electrons over it is trapped and released
    with the e-folding time ``persistence_time`` (s); `ccdsim.plans.afterimages`
    sums it over a night's earlier frames.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    bool
    """
    return camera.persistence > 0 and camera.full_well is not None

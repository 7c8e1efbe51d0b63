"""Charge-transfer inefficiency (CTI): traps that hold back charge as it is clocked out.

Its place: in the read-out, on the collected electrons (after the Poisson
draw and the cosmic rays, before the read noise), one amplifier's segment at
a time with its overscan, which catches the trails (EPER).

The model is ArCTIc's (Massey et al. 2014, MNRAS 439, 887) for instant-capture
traps, one phase: a packet of ``n`` e- reaches ``((n - notch) / (full_well -
notch)) ** power`` of a pixel (clipped to [0, 1]); at each transfer the traps
release (those of release time ``tau`` keep ``exp(-1 / tau)``), then every
empty trap below the packet captures, as far as the packet has charge;
"watermarks" track them. Parallel: towards row 0, row ``i`` through
``offset + i + 1`` transfers; then serial, along each row. Transfer ``k`` of
every pixel is one "pass" down the column, which starts with the traps as
pass ``k - 1`` left them a pixel earlier: a flat meets filled traps, as after
the exposure, and its trailing edge releases them into the overscan. So the
read-out can hold more charge than went in (as in ArCTIc).

``express=0`` models every transfer (``O(rows^2)`` a column): ArCTIc's
``express=0`` to 1e-9 of a trail (ArCTIc's default pruning of watermarks with
< 1e-10 e- moves a few pixels by up to 1% of their CTI). ``express=E`` runs
``E`` passes of ``(rows + offset) / E`` transfers each; ArCTIc's express
(``midpoint=False``) multiplies a pass's effect on the packets as they were
before it: trails come out long (the overscan never recaptures its gains).
With ``midpoint`` each row of a pass first meets the traps as they are with
a guess of its packet halfway through the pass's transfers (its own charge
plus half of them times the previous row's gain per transfer), changing
nothing: what they would take predicts the midpoint packet, and that packet
is the one the traps meet (second order, in one sweep; a sweep that first
predicted the whole pass costs half as much again and came about twice as
close). Unlike ArCTIc's express, no packet loses more than it holds, and row
0's one transfer through empty traps is not multiplied by an offset. The
worst column's trail (charge gained) and loss against ``express=0``
(``python benchmarks/cti_accuracy.py``: 2048 and 576 rows with 48 of empty
overscan; release times 0.74, 7.7, 37 transfers, densities 0.17 : 0.45 :
0.38; full well 84700 e-, power 0.478; stars on 0, 20, 200 e- of sky, hot
pixels, cosmic rays, flats of 30, 300, 10^4 e-):

    rows   traps/px   default (express=1, midpoint)   express=1   express=3
    2048   0.3        0.28% / 0.03%                   3.8%        1.2%
    2048   1          0.50% / 0.07%                   7.1%        2.4%
    2048   3          0.85% / 0.70%                   13%         4.7%
    576    0.3        0.21% / 0.03%                   1.8%        0.6%
    576    1          0.38% / 0.06%                   3.3%        1.1%
    576    3          0.64% / 0.11%                   5.8%        2.0%

Each row's watermarks wait for the previous row's, so 32 columns run side
by side, in SIMD (`ccdsim.physics.transfer.watermarks`): each way, ~17 ns a
pixel on a core without the midpoint, the default ~22 ns.
"""

from typing import NamedTuple

import numpy as np

from ...core.kernels import in_parts
from .traps import LANES, clock_columns

__all__ = ["TrapSpecies", "WellFill", "add_cti", "trap_table", "DEFAULT_EXPRESS"]

#: Passes per column (0: every transfer); with the midpoint one is enough (see above).
DEFAULT_EXPRESS = 1
# Fills are stored over their decay since a rescale, done within this many
# e-folds (far from float64's limits).
_EFOLDS = 200.0


class TrapSpecies(NamedTuple):
    """Traps of one species, with instant capture (ArCTIc's ``TrapInstantCapture``).

    Attributes
    ----------
    density : float
        Traps per pixel, >= 0.
    release_time : float
        e-folding time of their release, in transfers (dwell times), > 0.
    """
    density: float
    release_time: float


class WellFill(NamedTuple):
    """How a packet of ``n`` e- fills a pixel: ``((n - notch) / (full_well - notch)) ** power``.

    Attributes
    ----------
    full_well : float
        Electrons that fill the pixel (e-), > 0.
    notch : float
        Electrons held where no trap reaches (e-), 0 <= notch < full_well.
    power : float
        Exponent, 0 < power <= 1.
    """
    full_well: float
    notch: float
    power: float


def add_cti(segment, *, parallel=None, serial=None, well, serial_well=None,
            express=DEFAULT_EXPRESS, midpoint=True, parallel_offset=0, serial_offset=0,
            threads=None, out=None):
    """Trap and release charge as one amplifier's segment is read out.

    Parameters
    ----------
    segment : 2-D array
        Electrons (e-) in read-out order: row 0 read first, column 0 first in
        each row; with the overscan (zeros: it gets the trails).
    parallel, serial : sequence of TrapSpecies, optional
        Traps met along the columns, and in the serial register (None or
        empty: no CTI that way).
    well : WellFill
        How packets fill the pixels (and the serial register, by default).
    serial_well : WellFill, optional
        How packets fill the serial register.
    express : int, optional
        Passes per column, >= 0 (0: every transfer, exact and ``O(rows^2)``).
    midpoint : bool, optional
        Run each pass at its predicted midpoint (twice the work, far closer to
        ``express=0``); False: ArCTIc's express.
    parallel_offset, serial_offset : int, optional
        Pixels (>= 0) between the segment and the serial register (or the
        output), whose transfers every pixel also undergoes.
    threads : int, optional
        Worker threads (None: all CPUs); never changes the result.
    out : ndarray of float64, optional
        Where the result goes: C-ordered, the segment's shape; ``segment``
        itself is clocked in place (no copy: a 4k sensor's segments are
        hundreds of MB of fresh memory). Default: a new array.

    Returns
    -------
    ndarray of float64
        The electrons as read out (``out`` if given).

    Inputs are not checked here (the camera's parameters are). A negative
    pixel (read noise) fills no trap.
    """
    if out is None:
        out = np.array(segment, dtype=np.float64, order="C", copy=True)
    else:
        if out.dtype != np.float64 or not out.flags.c_contiguous or out.shape != np.shape(
                segment):
            raise ValueError("out must be a C-ordered float64 array of the segment's shape")
        if out is not segment:
            np.copyto(out, segment)
    if parallel:
        _clock(out, parallel, well, express, midpoint, parallel_offset, threads)
    if serial:
        _clock(out.T, serial, serial_well or well, express, midpoint, serial_offset, threads)
    return out


def trap_table(*, parallel=None, serial=None, well, serial_well=None,
               express=DEFAULT_EXPRESS, midpoint=True, parallel_offset=0, serial_offset=0):
    """The truth: one row per trap species, the rest of the model in ``meta``.

    Parameters
    ----------
    parallel, serial, well, serial_well, express, midpoint, parallel_offset, serial_offset
        As `add_cti`.

    Returns
    -------
    astropy.table.Table
        ``direction`` (parallel, serial), ``density`` (traps/px), ``release_time``
        (transfers); in ``meta`` (value, comment): ``EXPRESS``, ``MIDPOINT``, and
        the well fill and offset of each direction (``P...``, ``S...``).
    """
    from astropy.table import Table

    rows = [(d, float(t.density), float(t.release_time))
            for d, traps in (("parallel", parallel), ("serial", serial)) for t in traps or ()]
    table = Table(rows=rows or None, names=("direction", "density", "release_time"),
                  dtype=("U8", "f8", "f8"))
    table["density"].unit = "1/pix"
    table["release_time"].description = "e-folding time of release, in transfers"
    table.meta["EXPRESS"] = (int(express), "CTI passes per column (0: every transfer)")
    table.meta["MIDPOINT"] = (bool(midpoint), "each pass run at its predicted midpoint")
    for key, w, off in (("P", well, parallel_offset), ("S", serial_well or well, serial_offset)):
        table.meta[f"{key}FULLWEL"] = (float(w.full_well), "[e-] fills the pixel")
        table.meta[f"{key}NOTCH"] = (float(w.notch), "[e-] held where no trap reaches")
        table.meta[f"{key}POWER"] = (float(w.power), "volume ((n - notch) / (full - notch))**p")
        table.meta[f"{key}OFFSET"] = (int(off), "[pix] transfers before the first pixel's")
    return table


def _clock(a, traps, well, express, midpoint, offset, threads):
    """Clock every column of ``a`` (a view, modified in place) towards its row 0."""
    density = np.array([t.density for t in traps], dtype=np.float64)
    tau = np.array([t.release_time for t in traps], dtype=np.float64)
    keep = np.maximum(np.exp(-1.0 / tau), 1e-200)  # a release time of 0.001 empties at once
    renorm = max(1, int(_EFOLDS / float(np.max(-np.log(keep)))))
    args = (tuple(density), tuple(keep), tuple(1.0 / keep), tuple(-np.expm1(-1.0 / tau)),
            float(well.full_well), float(well.notch),
            float(well.power), int(express), bool(midpoint), int(offset), renorm)
    # Chunks of whole groups of lanes, a few per thread so that they even out.
    in_parts(lambda c0, c1: clock_columns(a, c0, c1, *args), a.shape[1], threads,
             least=LANES, align=LANES, per_thread=4)

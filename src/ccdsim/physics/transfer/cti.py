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
With ``midpoint`` a pass first predicts the packets halfway through it, then
runs on those (second order, two sweeps). Unlike ArCTIc's express, no packet
loses more than it holds, and row 0's one transfer through empty traps is
not multiplied by an offset. The worst total charge of a trail against
``express=0`` (2048 rows with 48 of empty overscan; release times 0.74, 7.7,
37 transfers, densities 0.17 : 0.45 : 0.38; full well 84700 e-, power 0.478;
stars on 0, 20, 200 e- of sky, hot pixels, cosmic rays, flats of 30, 300,
10^4 e-: the EPER of the faintest flat is the hardest):

    traps/px   express=1   express=3   default (express=1, midpoint)   576 rows
    0.3        3.8%        1.2%        0.15%                           0.17%
    1          7.1%        2.4%        0.15%                           0.26%
    3          13%         4.5%        0.33%                           0.32%

Each row's watermarks wait for the previous row's: ~40 ns a pixel and sweep
on a core, the default ~80 ns.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from ...core.kernels import compiled

__all__ = ["TrapSpecies", "WellFill", "add_cti", "trap_table", "DEFAULT_EXPRESS"]

#: Passes per column (0: every transfer); with the midpoint one is enough (see above).
DEFAULT_EXPRESS = 1
# Columns gathered at a time: a cache line of each row of a C-ordered segment.
_GATHER = 8
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
            threads=None):
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

    Returns
    -------
    ndarray of float64
        A new array: the electrons as read out.

    Inputs are not checked here (the camera's parameters are). A negative
    pixel (read noise) fills no trap.
    """
    out = np.array(segment, dtype=np.float64, order="C", copy=True)
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
    args = (density, keep, -np.expm1(-1.0 / tau), float(well.full_well), float(well.notch),
            float(well.power), int(express), bool(midpoint), int(offset), renorm)
    ncols = a.shape[1]
    n = max(1, min(os.cpu_count() if threads is None else int(threads), ncols // _GATHER))
    if n == 1:
        _clock_columns(a, 0, ncols, *args)
        return
    # Chunks of whole gathers, a few per thread so that they even out.
    edges = np.unique(np.linspace(0, ncols // _GATHER, 4 * n + 1).astype(int) * _GATHER)
    edges[-1] = ncols
    with ThreadPoolExecutor(max_workers=n) as pool:
        for f in [pool.submit(_clock_columns, a, int(c0), int(c1), *args)
                  for c0, c1 in zip(edges[:-1], edges[1:])]:
            f.result()


@compiled
def _clock_columns(a, c0, c1, density, keep, rel, full_well, notch, power, express,
                   midpoint, offset, renorm):
    """Clock columns ``c0:c1`` of ``a`` in place, a few gathered at a time."""
    n, ns = a.shape[0], density.shape[0]
    size = n + offset + 2  # a watermark at most per transfer
    # The traps: the volume each watermark reaches (highest first), its fill
    # per species; per species [decay since the rescale, density / decay,
    # trapped e-]; [watermarks, rows since the rescale]. And where passes start.
    st = (np.empty(size), np.empty((size, ns)), np.empty((3, ns)), np.zeros(2, np.int64))
    saved = (np.empty(size), np.empty((size, ns)), np.empty((3, ns)), np.zeros(2, np.int64))
    traps = (density, keep, 1.0 / keep, rel, renorm, np.empty(ns))
    well = (notch, power, 1.0 / (full_well - notch))
    buf = np.empty((_GATHER, n))
    mid = np.empty(n)
    for cb in range(c0, c1, _GATHER):
        nb = min(_GATHER, c1 - cb)
        buf[:nb] = a[:, cb:cb + nb].T
        for j in range(nb):
            _clock_column(buf[j], mid, st, saved, traps, well, express, midpoint, offset)
        a[:, cb:cb + nb] = buf[:nb].T


@compiled
def _clock_column(col, mid, st, saved, traps, well, express, midpoint, offset):
    """All the passes of one column (ArCTIc's express matrix, computed as it goes)."""
    n, nt = col.shape[0], col.shape[0] + offset
    if n == 0 or col.max() <= well[0]:  # no charge above the notch fills a trap
        return
    passes = nt if express == 0 else min(express, nt)
    saved[3][:], saved[2][0], saved[2][1], saved[2][2] = 0, 1.0, traps[0], 0.0
    # With an offset ArCTIc's first passes restart at row 0 from the traps row
    # 0 filled: only one of its transfers meets empty traps. Done apart.
    first = 1 if offset > 0 and passes < nt else 0
    if first:
        _sweep(col, col, col, False, (0, 1.0, 0, 0), 0, st, saved, traps, well, 1)
    predict = midpoint and passes < nt
    for k in range(passes):
        ps = (k, nt / passes, offset, first)
        store = -1 if k == passes - 1 else n - 1  # the row after which pass k + 1 starts
        for r in range(n - 1 if k < passes - 1 else 0):
            if _multiplier((k + 1, nt / passes, offset, first), r + 1) > 0.0:
                store = r
                break
        if predict:
            _sweep(col, col, mid, True, ps, -1, st, saved, traps, well, n)
        _sweep(col, mid if predict else col, col, False, ps, store, st, saved, traps, well, n)


@compiled
def _multiplier(ps, i):
    """Transfers that pass ``ps = (k, step, offset, first)`` stands for in row ``i``.

    ArCTIc's express matrix; ``first``: row 0's first transfer is done apart.
    """
    k, step, offset, first = ps
    return min(max(float(i + offset + 1 - (first if i == 0 else 0)) - k * step, 0.0), step)


@compiled
def _copy_state(src, dst):
    """Copy the traps (the watermarks in use)."""
    nw = src[3][0]
    dst[0][:nw], dst[1][:nw] = src[0][:nw], src[1][:nw]
    dst[2][:] = src[2]
    dst[3][:] = src[3]


@compiled
def _sweep(col, packet, out, predict, ps, store, st, saved, traps, well, n):
    """One pass over rows ``:n`` from the traps in ``saved``; saved again after ``store``.

    `_rows` gets the rows in runs between rescales and ``store``.
    """
    _copy_state(saved, st)
    top, fill, sp, ctr = st
    density, keep, unkeep, rel, renorm, cap = traps
    i = 0
    while i < n and _multiplier(ps, i) == 0.0:
        i += 1
    while i < n:
        j = min(n, i + renorm - ctr[1])
        if i <= store < j:
            j = store + 1
        ctr[0] = _rows(i, j, col, packet, out, predict, ps, ctr[0], top, fill, sp, cap, density,
                       keep, unkeep, rel, well)
        ctr[1] += j - i
        if ctr[1] == renorm:
            _rescale(ctr[0], top, fill, sp, density)
            ctr[1] = 0
        if j - 1 == store:
            _copy_state(st, saved)
        i = j


@compiled
def _volume(x, notch, scale, power):
    """Volume of ``x`` e-, ``1 / (x - notch)`` and the fill (2: none to grow by Taylor)."""
    u = x - notch
    f = u * scale
    if u <= 0.0 or f >= 1.0:
        return (0.0 if u <= 0.0 else 1.0), 0.0, 2.0
    return f ** power, 1.0 / u, f


@compiled
def _rows(i0, i1, col, packet, out, predict, ps, nw, top, fill, sp, cap, density, keep, unkeep,
          rel, well):
    """Release then capture in rows ``i0:i1``; returns the number of watermarks.

    The traps meet ``packet[i]`` and their release; the row changes by its multiplier
    times the net charge, from ``col[i]`` into ``out[i]`` (``predict``: the mean packet).
    """
    notch, power, scale = well
    ns = density.shape[0]
    # The packet's volume, computed a row ahead off the chain of rows waiting
    # for each other, grows with the release as (1 + t)**power to t**3 (t <=
    # 0.01: off by < 1e-9): a third faster than pow in the chain.
    c1, c2 = power * (power - 1.0) / 2.0, power * (power - 1.0) * (power - 2.0) / 6.0
    vn, rn, fn = _volume(packet[i0], notch, scale, power)
    for i in range(i0, i1):
        v0, r0, f0 = vn, rn, fn
        if i + 1 < i1:
            vn, rn, fn = _volume(packet[i + 1], notch, scale, power)
        m = _multiplier(ps, i)
        released = 0.0
        for s in range(ns):
            released += sp[2, s] * rel[s]
            sp[2, s] *= keep[s]
            sp[0, s] *= keep[s]
            sp[1, s] *= unkeep[s]
        x = col[i]
        cloud = packet[i] + released
        # Never more than the packet holds over the pass (ArCTIc: over one transfer).
        avail = released + x / max(m, 1.0)
        captured = 0.0
        if cloud > notch and avail > 0.0:
            t = released * r0
            if f0 < 1.0 and t <= 0.01:
                v = min(v0 * (1.0 + t * (power + t * (c1 + t * c2))), 1.0)
            else:
                f = (cloud - notch) * scale
                v = 1.0 if f >= 1.0 else f ** power
            # Watermarks from the highest (index 0) down; ``top``: the volume each reaches.
            w = nw - 1
            below = 0.0
            cap[:] = 0.0
            while w >= 0 and top[w] <= v:
                h = top[w] - below
                for s in range(ns):
                    cap[s] += (density[s] - fill[w, s] * sp[0, s]) * h
                below = top[w]
                w -= 1
            h = v - below
            for s in range(ns):
                cap[s] += (density[s] - (fill[w, s] * sp[0, s] if w >= 0 else 0.0)) * h
                captured += cap[s]
            if captured <= avail:
                # Full below v: the watermarks it covers merge into one.
                top[w + 1] = v
                for s in range(ns):
                    fill[w + 1, s] = sp[1, s]
                    sp[2, s] += cap[s]
                nw = w + 2
            else:
                nw = _fill_partly(avail / captured, v, below, w, nw, top, fill, sp, cap)
                captured = avail
        gain = 0.5 * (m - 1.0) if predict else m  # emptied: exactly, not -1e-16
        out[i] = x * (1.0 - gain / max(m, 1.0)) if captured == avail else x + gain * (
            released - captured)
    return nw


@compiled
def _fill_partly(e, v, below, w, nw, top, fill, sp, cap):
    """Too little charge: every trap below ``v`` fills the part ``e`` of its way."""
    ns = cap.shape[0]
    for s in range(ns):
        sp[2, s] += e * cap[s]
    for j in range(w + 1, nw):
        for s in range(ns):
            fill[j, s] += e * (sp[1, s] - fill[j, s])
    if v > below:
        # Split the watermark v reaches into (w < 0: open one above them all).
        for j in range(nw - 1, w, -1):
            top[j + 1] = top[j]
            fill[j + 1] = fill[j]
        top[w + 1] = v
        for s in range(ns):
            f = fill[w, s] if w >= 0 else 0.0
            fill[w + 1, s] = f + e * (sp[1, s] - f)
        nw += 1
    return nw


@compiled
def _rescale(nw, top, fill, sp, density):
    """Fold each species's decay into its stored fills; recount its trapped charge."""
    for s in range(density.shape[0]):
        trapped = 0.0
        below = 0.0
        for w in range(nw - 1, -1, -1):
            fill[w, s] *= sp[0, s]
            trapped += fill[w, s] * (top[w] - below)
            below = top[w]
        sp[0, s] = 1.0
        sp[1, s] = density[s]
        sp[2, s] = trapped

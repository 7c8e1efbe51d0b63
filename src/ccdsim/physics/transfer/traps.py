"""The compiled sweeps of `ccdsim.physics.transfer.cti`: a few columns at a time.

``LANES`` columns are clocked side by side (`ccdsim.physics.transfer.watermarks`
does a row of them); here, each pass of ArCTIc's express matrix as one sweep
down the columns, the packets' volumes computed before it (off the rows'
chain), and the fills folded into their decay every ``renorm`` rows.
"""

import math

import numpy as np

from .watermarks import LANES, lane_loops, multiplier, rows, sum_above

__all__ = ["LANES", "clock_columns"]

# ln 2 in two parts, the first exact times small integers.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# 1 / k!: exp's Taylor coefficients (multiplied: a division a term costs as much as the rest).
_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(13))


@lane_loops
def clock_columns(a, c0, c1, density, keep, unkeep, rel, full_well, notch, power, express,
                  midpoint, offset, renorm):
    """Clock columns ``c0:c1`` of ``a`` in place towards row 0, ``LANES`` at a time.

    ``density``, ``keep`` (``exp(-1 / tau)``), ``unkeep`` (its inverse) and
    ``rel`` (``1 - keep``): tuples, one number per species, so that the
    loops are compiled for their number.
    """
    n, ns = a.shape[0], len(density)
    size = n + offset + 3  # a watermark at most per transfer
    st = _state(size, ns)
    saved = _state(size, ns)
    traps = (density, keep, unkeep, rel, renorm)
    well = (notch, power, 1.0 / (full_well - notch))
    buf = np.zeros((n, LANES))
    vol = (np.empty((n, LANES)), np.empty((n, LANES)), np.empty((n, LANES)))
    for cb in range(c0, c1, LANES):
        nb = min(LANES, c1 - cb)
        buf[:, :nb] = a[:, cb:cb + nb]
        buf[:, nb:] = 0.0  # empty columns fill no trap, and change nothing
        if n > 0 and buf.max() > notch:  # else no charge above the notch fills a trap
            _clock_lanes(buf, vol, st, saved, traps, well, express, midpoint, offset)
            a[:, cb:cb + nb] = buf[:, :nb]


@lane_loops
def _state(size, ns):
    """Empty traps: (top, fill, above, total, nw), the lanes last; shared decay and fill.

    One row more than watermarks can reach in ``top``, ``fill`` and
    ``above``: where lanes that store nothing write (no branch).
    """
    return (np.zeros((size + 1, LANES)), np.zeros((size + 1, ns, LANES)),
            np.zeros((size + 1, ns, LANES)), np.zeros((ns, LANES)),
            np.zeros(LANES, np.int64), np.ones(ns), np.zeros(ns), np.zeros(1, np.int64))


@lane_loops
def _clock_lanes(col, vol, st, saved, traps, well, express, midpoint, offset):
    """All the passes of ``LANES`` columns (ArCTIc's express matrix, computed as it goes)."""
    n, nt = col.shape[0], col.shape[0] + offset
    passes = nt if express == 0 else min(express, nt)
    _reset(saved, traps[0])
    # With an offset ArCTIc's first passes restart at row 0 from the traps row
    # 0 filled: only one of its transfers meets empty traps. Done apart.
    first = 1 if offset > 0 and passes < nt else 0
    if first:
        _sweep(col, vol, False, (0, 1.0, 0, 0), 0, st, saved, traps, well, 1)
    predict = midpoint and passes < nt
    for k in range(passes):
        ps = (k, nt / passes, offset, first)
        store = -1 if k == passes - 1 else n - 1  # the row after which pass k + 1 starts
        for r in range(n - 1 if k < passes - 1 else 0):
            if multiplier((k + 1, nt / passes, offset, first), r + 1) > 0.0:
                store = r
                break
        _sweep(col, vol, predict, ps, store, st, saved, traps, well, n)


@lane_loops
def _reset(st, density):
    """No watermarks, nothing decayed."""
    st[4][:] = 0
    st[3][:] = 0.0
    st[5][:] = 1.0
    for s in range(len(density)):
        st[6][s] = density[s]
    st[7][0] = 0


@lane_loops
def _copy_state(src, dst):
    """Copy the traps (the watermarks in use)."""
    m = src[4].max()
    dst[0][:m] = src[0][:m]
    dst[1][:m] = src[1][:m]
    dst[2][:m + 1] = src[2][:m + 1]
    dst[3][:] = src[3]
    dst[4][:] = src[4]
    dst[5][:] = src[5]
    dst[6][:] = src[6]
    dst[7][:] = src[7]


@lane_loops
def _sweep(col, vol, midpoint, ps, store, st, saved, traps, well, n):
    """One pass over rows ``:n`` from the traps in ``saved``; saved again after ``store``.

    `_rows` gets the rows in runs between rescales and ``store``.
    """
    _copy_state(saved, st)
    renorm, ctr = traps[4], st[7]
    i = 0
    while i < n and multiplier(ps, i) == 0.0:
        i += 1
    _volumes(col, i, n, vol, well)
    gained = np.zeros(LANES)  # each lane's gain per transfer in the row before
    while i < n:
        j = min(n, i + renorm - ctr[0])
        if i <= store < j:
            j = store + 1
        rows(i, j, col, vol, midpoint, ps, st, traps, well, gained)
        ctr[0] += j - i
        if ctr[0] == renorm:
            _rescale(st, traps[0])
            ctr[0] = 0
        if j - 1 == store:
            _copy_state(st, saved)
        i = j


@lane_loops
def _volumes(packet, i0, i1, vol, well):
    """Each packet's volume and ``1 / (x - notch)``, off the rows' chain.

    ``1e300`` where the volume cannot grow by its Taylor series (empty, or
    above the full well with a volume of 1, which the cap keeps at 1).
    """
    notch, power, scale = well
    x = packet[i0:i1].reshape(-1)
    v = vol[0][i0:i1].reshape(-1)
    r = vol[1][i0:i1].reshape(-1)
    for k in range(x.shape[0]):
        u = x[k] - notch
        f = u * scale
        inside = (u > 0.0) & (f < 1.0)
        v[k] = f if inside else 1.0
        r[k] = 1.0 / u if inside else (1e300 if u <= 0.0 else 0.0)
    _power(v, power, vol[2][i0:i1].reshape(-1))
    for k in range(x.shape[0]):
        v[k] = 0.0 if r[k] == 1e300 else v[k]


@lane_loops
def _power(f, p, tmp):
    """``f ** p`` in place for ``0 < f <= 1`` (normal), to ~1e-12, in SIMD: libm's pow
    is a call per pixel, 10 ns, as long as the rest of a sweep.

    ``f = 2**e m`` with ``m`` in [0.7, 1.4]: ``log(m)`` by its atanh series,
    then ``exp`` by Taylor on ``|r| < 0.5`` times ``2**k`` built in the bits.
    """
    fb = f.view(np.uint64)
    tb = tmp.view(np.uint64)
    for k in range(f.shape[0]):
        tb[k] = (fb[k] & np.uint64(0x000FFFFFFFFFFFFF)) | np.uint64(0x3FF0000000000000)
    for k in range(f.shape[0]):
        e = np.float64(np.int64(fb[k] >> np.uint64(52)) - 1023)
        m = tmp[k]
        big = m > 1.4142135623730951
        m = m * 0.5 if big else m
        e = e + 1.0 if big else e
        z = (m - 1.0) / (m + 1.0)
        z2 = z * z
        lnm = 2.0 * z * (1.0 + z2 * (1 / 3 + z2 * (1 / 5 + z2 * (1 / 7 + z2 * (
            1 / 9 + z2 * (1 / 11 + z2 / 13))))))
        y = p * e  # f ** p = 2 ** y * m ** p
        n2 = np.floor(y + 0.5)
        r = (y - n2) * _LN2_HI + ((y - n2) * _LN2_LO + p * lnm)
        ex = _EXP_TAYLOR[12]
        for j in range(11, -1, -1):  # Taylor's terms to r**12 / 12!, < 1e-13
            ex = ex * r + _EXP_TAYLOR[j]
        f[k] = ex
        tmp[k] = n2
    ob = f.view(np.int64)
    for k in range(f.shape[0]):
        ob[k] += np.int64(tmp[k]) << 52


@lane_loops
def _rescale(st, density):
    """Fold each species's decay into its stored fills; recount the charge."""
    fill, above, nw, decay, full = st[1], st[2], st[4], st[5], st[6]
    ns = len(density)
    for lane in range(LANES):
        for j in range(nw[lane]):
            for s in range(ns):
                fill[j, s, lane] *= decay[s]
        for s in range(ns):
            above[0, s, lane] = 0.0
        sum_above(lane, 0, st)
    for s in range(ns):
        decay[s] = 1.0
        full[s] = density[s]

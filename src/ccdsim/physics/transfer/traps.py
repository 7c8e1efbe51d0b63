"""The compiled loops of `ccdsim.physics.transfer.cti`: watermarks, a few columns at a time.

Each row's traps wait for the previous row's (release, then capture of what
the packet reaches): one column is a chain of dependent steps, ~40 ns a row.
So ``LANES`` columns run side by side, row by row, their chains overlapping,
with few unpredictable branches: a packet finds its watermark by counting
the lowest four it covers (a walk only past those), and the charge stored
below it from running sums (``above``), not from the watermarks it covers.
Every step of a row is a loop over the lanes, in SIMD (lanes last in every
array; the loops' trip count unknown to the compiler, which would otherwise
unroll them instead) but for the loads and stores at each lane's own
watermark; the decay since the last rescale is one number per species
shared by the lanes, and the species come as tuples, so that the loops over
them are compiled for their number.

State of lane ``l``: ``nw[l]`` watermarks, from the highest (index 0) down;
``top[j, l]`` the volume watermark ``j`` reaches (it spans down to
``top[j + 1, l]``, the last one to 0); ``fill[j, s, l]`` its traps of species
``s`` filled, over the decay since the rescale; ``above[j, s, l]`` the charge
(over the decay) in watermarks ``:j``; ``total[s, l]`` in all of them.
"""

import numba
import numpy as np

__all__ = ["LANES", "clock_columns"]

#: Columns clocked side by side: two cache lines of each row of a C-ordered segment
#: (8 or 32: slower).
LANES = 16
# ln 2 in two parts, the first exact times small integers.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10


def compiled(func):
    """``numba.njit(nogil=True)``, cached where numba finds a cache folder, and
    with numpy's error model: Python's checks every division for zero, and
    that branch keeps loops from SIMD."""
    try:
        return numba.njit(cache=True, nogil=True, error_model="numpy")(func)
    except RuntimeError as e:  # "cannot cache function ...: no locator available"
        if "no locator available" not in str(e):
            raise
        return numba.njit(nogil=True, error_model="numpy")(func)


@compiled
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
    mid = np.empty((n, LANES))
    vol = (np.empty((n, LANES)), np.empty((n, LANES)), np.empty((n, LANES)))
    for cb in range(c0, c1, LANES):
        nb = min(LANES, c1 - cb)
        buf[:, :nb] = a[:, cb:cb + nb]
        buf[:, nb:] = 0.0  # empty columns fill no trap, and change nothing
        if n > 0 and buf.max() > notch:  # else no charge above the notch fills a trap
            _clock_lanes(buf, mid, vol, st, saved, traps, well, express, midpoint, offset)
            a[:, cb:cb + nb] = buf[:, :nb]


@compiled
def _state(size, ns):
    """Empty traps: (top, fill, above, total, nw), the lanes last; shared decay and fill."""
    return (np.zeros((size, LANES)), np.zeros((size, ns, LANES)),
            np.zeros((size + 1, ns, LANES)), np.zeros((ns, LANES)),
            np.zeros(LANES, np.int64), np.ones(ns), np.zeros(ns), np.zeros(1, np.int64))


@compiled
def _clock_lanes(col, mid, vol, st, saved, traps, well, express, midpoint, offset):
    """All the passes of ``LANES`` columns (ArCTIc's express matrix, computed as it goes)."""
    n, nt = col.shape[0], col.shape[0] + offset
    passes = nt if express == 0 else min(express, nt)
    _reset(saved, traps[0])
    # With an offset ArCTIc's first passes restart at row 0 from the traps row
    # 0 filled: only one of its transfers meets empty traps. Done apart.
    first = 1 if offset > 0 and passes < nt else 0
    if first:
        _sweep(col, col, col, vol, False, (0, 1.0, 0, 0), 0, st, saved, traps, well, 1)
    predict = midpoint and passes < nt
    for k in range(passes):
        ps = (k, nt / passes, offset, first)
        store = -1 if k == passes - 1 else n - 1  # the row after which pass k + 1 starts
        for r in range(n - 1 if k < passes - 1 else 0):
            if _multiplier((k + 1, nt / passes, offset, first), r + 1) > 0.0:
                store = r
                break
        if predict:
            _sweep(col, col, mid, vol, True, ps, -1, st, saved, traps, well, n)
        _sweep(col, mid if predict else col, col, vol, False, ps, store, st, saved, traps,
               well, n)


@compiled
def _multiplier(ps, i):
    """Transfers that pass ``ps = (k, step, offset, first)`` stands for in row ``i``.

    ArCTIc's express matrix; ``first``: row 0's first transfer is done apart.
    """
    k, step, offset, first = ps
    return min(max(float(i + offset + 1 - (first if i == 0 else 0)) - k * step, 0.0), step)


@compiled
def _reset(st, density):
    """No watermarks, nothing decayed."""
    st[4][:] = 0
    st[3][:] = 0.0
    st[5][:] = 1.0
    for s in range(len(density)):
        st[6][s] = density[s]
    st[7][0] = 0


@compiled
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


@compiled
def _sweep(col, packet, out, vol, predict, ps, store, st, saved, traps, well, n):
    """One pass over rows ``:n`` from the traps in ``saved``; saved again after ``store``.

    `_rows` gets the rows in runs between rescales and ``store``.
    """
    _copy_state(saved, st)
    renorm, ctr = traps[4], st[7]
    i = 0
    while i < n and _multiplier(ps, i) == 0.0:
        i += 1
    _volumes(packet, i, n, vol, well)
    while i < n:
        j = min(n, i + renorm - ctr[0])
        if i <= store < j:
            j = store + 1
        _rows(i, j, col, packet, vol, out, predict, ps, st, traps, well)
        ctr[0] += j - i
        if ctr[0] == renorm:
            _rescale(st, traps[0])
            ctr[0] = 0
        if j - 1 == store:
            _copy_state(st, saved)
        i = j


@compiled
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


@compiled
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
        ex = 1.0
        for j in range(12, 0, -1):  # Taylor's terms to r**12 / 12!, < 1e-13
            ex = 1.0 + ex * r / j
        f[k] = ex
        tmp[k] = n2
    ob = f.view(np.int64)
    for k in range(f.shape[0]):
        ob[k] += np.int64(tmp[k]) << 52


@compiled
def _rows(i0, i1, col, packet, vol, out, predict, ps, st, traps, well):
    """Release then capture in rows ``i0:i1`` of every lane.

    The traps meet ``packet[i]`` (its volume in ``vol``) and their release;
    the row changes by its multiplier times the net charge, from ``col[i]``
    into ``out[i]`` (``predict``: the mean packet). Each step is a loop over
    the lanes, in SIMD but for the loads and stores at each lane's own
    watermark, and the rare cases (a packet over more than four watermarks,
    too little charge to fill the traps) done apart.
    """
    top, fill, above, total, nw, decay, full = st[0], st[1], st[2], st[3], st[4], st[5], st[6]
    density, keep, unkeep, rel = traps[0], traps[1], traps[2], traps[3]
    notch, power, scale = well
    ns = len(density)
    nl = nw.shape[0]  # LANES, unknown to the compiler: loops kept, not unrolled
    vv, rr = vol[0], vol[1]
    # The packet's volume grows with the release as (1 + t)**power to t**3
    # (t <= 0.01: off by < 1e-9), no pow in the chain.
    c1, c2 = power * (power - 1.0) / 2.0, power * (power - 1.0) * (power - 2.0) / 6.0
    rl, av, vl, cp, ht = (np.empty(LANES), np.empty(LANES), np.empty(LANES), np.empty(LANES),
                          np.empty(LANES))
    ww, how = np.empty(LANES, np.int64), np.empty(LANES, np.int64)
    low = np.empty((5, LANES))  # the lowest five watermarks' tops
    kept, fw = np.empty((ns, LANES)), np.empty((ns, LANES))
    q = np.empty(ns)
    for i in range(i0, i1):
        m = _multiplier(ps, i)
        gain = 0.5 * (m - 1.0) if predict else m  # emptied: exactly, not -1e-16
        per = 1.0 / max(m, 1.0)
        for s in range(ns):
            q[s] = decay[s] * rel[s]
            decay[s] *= keep[s]
            full[s] *= unkeep[s]
        slow = False
        for lane in range(nl):
            r = 0.0
            for s in range(ns):
                r += total[s, lane] * q[s]
            rl[lane] = r
            # Never more than the packet holds over the pass (ArCTIc: over one transfer).
            av[lane] = r + col[i, lane] * per
            t = r * rr[i, lane]
            slow |= t > 0.01
            vl[lane] = min(vv[i, lane] * (1.0 + t * (power + t * (c1 + t * c2))), 1.0)
        if slow:
            for lane in range(nl):
                if rl[lane] * rr[i, lane] > 0.01:
                    f = (packet[i, lane] + rl[lane] - notch) * scale
                    vl[lane] = 1.0 if f >= 1.0 else f ** power
        for lane in range(nl):
            k = nw[lane]
            for b in range(5):
                low[b, lane] = top[max(k - 1 - b, 0), lane]
        # The watermarks v covers (the lowest ones): most often 0 to 2, so
        # counted among the lowest four; w, the one it reaches into (-1: none).
        deep = False
        for lane in range(nl):
            k, v = nw[lane], vl[lane]
            c = 0
            for b in range(4):
                c += 1 if (k > b) & (low[b, lane] <= v) else 0
            deep |= c == 4
            h = low[4, lane]
            for b in range(3, -1, -1):
                h = low[b, lane] if c == b else h
            ww[lane] = k - 1 - c
            ht[lane] = h - v if c < k else 0.0
        if deep:
            for lane in range(nl):
                k, v, c = nw[lane], vl[lane], nw[lane] - 1 - ww[lane]
                if c == 4:
                    while c < k and top[k - 1 - c, lane] <= v:
                        c += 1
                    ww[lane] = k - 1 - c
                    ht[lane] = top[k - 1 - c, lane] - v if c < k else 0.0
        for lane in range(nl):
            wi = max(ww[lane], 0)
            for s in range(ns):
                kept[s, lane] = above[wi, s, lane]
                fw[s, lane] = fill[wi, s, lane]
        for lane in range(nl):
            v = vl[lane]
            captured = 0.0
            for s in range(ns):
                # Charge (over the decay) above v: it stays.
                kp = kept[s, lane] + fw[s, lane] * ht[lane]
                kept[s, lane] = kp
                captured += density[s] * v - decay[s] * (total[s, lane] - kp)
            on = (packet[i, lane] + rl[lane] > notch) & (av[lane] > 0.0)
            how[lane] = 0 if not on else (1 if captured <= av[lane] else 2)
            cp[lane] = captured
        for lane in range(nl):
            if how[lane] == 1:
                # Full below v: the watermarks it covers merge into one.
                w1 = ww[lane] + 1
                top[w1, lane] = vl[lane]
                for s in range(ns):
                    above[w1, s, lane] = kept[s, lane]
                    fill[w1, s, lane] = full[s]
            elif how[lane] == 2:
                _fill_partly(lane, av[lane] / cp[lane], vl[lane], ww[lane], st)
        for lane in range(nl):
            full_in = how[lane] == 1
            for s in range(ns):
                total[s, lane] = kept[s, lane] + full[s] * vl[lane] if full_in else total[
                    s, lane]
            nw[lane] = ww[lane] + 2 if full_in else nw[lane]
            c = cp[lane] if full_in else (av[lane] if how[lane] == 2 else 0.0)
            x = col[i, lane]
            out[i, lane] = x * (1.0 - gain * per) if c == av[lane] else x + gain * (
                rl[lane] - c)


@compiled
def _fill_partly(lane, e, v, w, st):
    """Too little charge: every trap below ``v`` fills the part ``e`` of its way."""
    top, fill, nw, full = st[0], st[1], st[4], st[6]
    ns = full.shape[0]
    k = nw[lane]
    for j in range(w + 1, k):
        for s in range(ns):
            fill[j, s, lane] += e * (full[s] - fill[j, s, lane])
    below = top[w + 1, lane] if w + 1 < k else 0.0
    if v > below:
        # Split the watermark v reaches into (w < 0: open one above them all).
        for j in range(k - 1, w, -1):
            top[j + 1, lane] = top[j, lane]
            for s in range(ns):
                fill[j + 1, s, lane] = fill[j, s, lane]
        top[w + 1, lane] = v
        for s in range(ns):
            f = fill[w, s, lane] if w >= 0 else 0.0
            fill[w + 1, s, lane] = f + e * (full[s] - f)
        k += 1
        nw[lane] = k
    _sum_above(lane, max(w, 0), st)


@compiled
def _sum_above(lane, j0, st):
    """Recount ``above`` from watermark ``j0`` down, and ``total``."""
    top, fill, above, total, nw = st[0], st[1], st[2], st[3], st[4]
    ns = total.shape[0]
    k = nw[lane]
    for j in range(j0, k):
        h = top[j, lane] - (top[j + 1, lane] if j + 1 < k else 0.0)
        for s in range(ns):
            above[j + 1, s, lane] = above[j, s, lane] + fill[j, s, lane] * h
    for s in range(ns):
        total[s, lane] = above[k, s, lane]


@compiled
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
        _sum_above(lane, 0, st)
    for s in range(ns):
        decay[s] = 1.0
        full[s] = density[s]

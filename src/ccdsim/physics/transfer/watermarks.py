"""The watermarks of `ccdsim.physics.transfer.cti`: one row of a few columns at a time.

Each row's traps wait for the previous row's (release, then capture of what
the packet reaches): one column is a chain of dependent steps, ~40 ns a row.
So ``LANES`` columns run side by side, row by row, their chains overlapping,
with few unpredictable branches: a packet finds its watermark by counting
the lowest four it covers (a walk only past those), and the charge stored
below it from running sums (``above``), not from the watermarks it covers.
Every step of a row is a loop over the lanes, in SIMD (lanes last in every
array; no ``min``, ``max`` or ``abs`` in them: numba's are branches that
keep a loop scalar) but for the loads and stores at each lane's own
watermark; the decay since the last rescale is one number per species
shared by the lanes, and the species come as tuples, so that the loops over
them are compiled for their number. Fused, the loops lose their SIMD
(measured 10 to 15% slower).

State of lane ``l``: ``nw[l]`` watermarks, from the highest (index 0) down;
``top[j, l]`` the volume watermark ``j`` reaches (it spans down to
``top[j + 1, l]``, the last one to 0); ``fill[j, s, l]`` its traps of species
``s`` filled, over the decay since the rescale; ``above[j, s, l]`` the charge
(over the decay) in watermarks ``:j``; ``total[s, l]`` in all of them.
"""

import numpy as np

from ...core.kernels import compiled

__all__ = ["LANES", "lane_loops", "multiplier", "rows", "sum_above"]

#: Columns clocked side by side: four cache lines of each row of a C-ordered segment
#: (measured: 16 or 64 slower by 7 to 15%, 8 by 40%).
LANES = 32
#: `ccdsim.core.kernels.compiled` with numpy's error model: Python's checks every
#: division for zero, and that branch keeps loops from SIMD.
lane_loops = compiled(error_model="numpy")


@compiled(error_model="numpy", inline="always")
def multiplier(ps, i):
    """Transfers that pass ``ps = (k, step, offset, first)`` stands for in row ``i``.

    ArCTIc's express matrix; ``first``: row 0's first transfer is done apart.
    """
    k, step, offset, first = ps
    return min(max(float(i + offset + 1 - (first if i == 0 else 0)) - k * step, 0.0), step)


@lane_loops
def rows(i0, i1, col, vol, midpoint, ps, st, traps, well, gained):
    """Release then capture in rows ``i0:i1`` of every lane, in place.

    Row ``i`` stands for its multiplier's transfers. With ``midpoint`` its
    packet first meets the traps as they are, changing nothing: what they
    would take per transfer predicts its charge halfway through those
    transfers, and that packet is the one the traps meet (second order, in
    one sweep). Each step is a loop over the lanes, in SIMD but for the
    loads and stores at each lane's own watermark, and the rare cases (a
    packet over more than four watermarks, too little charge to fill the
    traps, a volume its series does not reach) done apart.
    """
    top, fill, above, total, nw, decay, full = st[0], st[1], st[2], st[3], st[4], st[5], st[6]
    density, keep, unkeep, rel = traps[0], traps[1], traps[2], traps[3]
    notch, power, scale = well
    ns = len(density)
    nl = LANES
    vv, rr = vol[0], vol[1]
    # The packet's volume grows with the release (or the midpoint's change) as
    # (1 + t)**power to t**3 (|t| <= 0.01: off by < 1e-9), no pow in the chain;
    # written out in each loop that needs it (a call would keep the loop from SIMD).
    c1, c2 = power * (power - 1.0) / 2.0, power * (power - 1.0) * (power - 2.0) / 6.0
    rl, av, vl, cp, ht, pk = (np.empty(LANES), np.empty(LANES), np.empty(LANES),
                              np.empty(LANES), np.empty(LANES), np.empty(LANES))
    ww, w0, how = np.empty(LANES, np.int64), np.empty(LANES, np.int64), np.empty(LANES, np.int64)
    low = np.empty((4, LANES))  # the lowest four watermarks' tops
    kept, fw = np.empty((ns, LANES)), np.empty((ns, LANES))
    q = np.empty(ns)
    spare = top.shape[0] - 1  # where lanes that store nothing write (no branch)
    for i in range(i0, i1):
        m = multiplier(ps, i)
        half = 0.5 * (m - 1.0)
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
            x = col[i, lane]
            # Never more than the packet holds over the pass (ArCTIc: over one transfer).
            av[lane] = r + x * per
            # With the midpoint, a first guess: the previous row's gain per transfer.
            p = x + half * gained[lane]
            emptied = x * (1.0 - half * per)
            p = (p if p > emptied else emptied) if midpoint else x
            pk[lane] = p
            t = (p - x + r) * rr[i, lane]
            slow |= (t > 0.01) | (t < -0.01) | (midpoint & (rr[i, lane] == 0.0))
            f = vv[i, lane] * (1.0 + t * (power + t * (c1 + t * c2)))
            vl[lane] = f if f < 1.0 else 1.0
        if slow:
            _volume_apart(i, col, pk, rl, rr, vl, midpoint, well)
        for lane in range(nl):
            k = nw[lane]
            for b in range(4):
                j = k - 1 - b
                low[b, lane] = top[j if j > 0 else 0, lane]
        # Twice with the midpoint: the packet as it comes, then its midpoint.
        for rep in range(2 if midpoint else 1):
            # The watermarks v covers (the lowest ones): most often 0 to 2, so
            # counted among the lowest four; w, the one it reaches into (-1: none).
            deep = False
            for lane in range(nl):
                k, v = nw[lane], vl[lane]
                c = 0
                for b in range(4):
                    c += 1 if (k > b) & (low[b, lane] <= v) else 0
                deep |= c == 4
                h = 0.0  # c == 4: the walk below
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
            for lane in range(nl):  # the second time, only where the midpoint moved w
                if rep == 0 or ww[lane] != w0[lane]:
                    wi = ww[lane] if ww[lane] > 0 else 0
                    for s in range(ns):
                        kept[s, lane] = above[wi, s, lane]
                        fw[s, lane] = fill[wi, s, lane]
            if rep == 1 or not midpoint:
                continue
            # The packet halfway through its transfers, from what the traps as
            # they are would take per transfer from the guess; its volume.
            slow = False
            for lane in range(nl):
                v, x = vl[lane], col[i, lane]
                captured = 0.0
                for s in range(ns):
                    captured += density[s] * v - decay[s] * (
                        total[s, lane] - kept[s, lane] - fw[s, lane] * ht[lane])
                on = (pk[lane] + rl[lane] > notch) & (av[lane] > 0.0)
                taken = (captured if captured < av[lane] else av[lane]) if on else 0.0
                gained[lane] = rl[lane] - taken
                p = x * (1.0 - half * per) if taken == av[lane] else x + half * gained[lane]
                pk[lane] = p
                w0[lane] = ww[lane]
                t = (p - x + rl[lane]) * rr[i, lane]
                slow |= (t > 0.01) | (t < -0.01) | (rr[i, lane] == 0.0)
                f = vv[i, lane] * (1.0 + t * (power + t * (c1 + t * c2)))
                vl[lane] = f if f < 1.0 else 1.0
            if slow:
                _volume_apart(i, col, pk, rl, rr, vl, midpoint, well)
        for lane in range(nl):
            v = vl[lane]
            captured = 0.0
            for s in range(ns):
                # Charge (over the decay) above v: it stays.
                kp = kept[s, lane] + fw[s, lane] * ht[lane]
                kept[s, lane] = kp
                captured += density[s] * v - decay[s] * (total[s, lane] - kp)
            on = (pk[lane] + rl[lane] > notch) & (av[lane] > 0.0)
            how[lane] = 0 if not on else (1 if captured <= av[lane] else 2)
            cp[lane] = captured
        part = False
        for lane in range(nl):
            # Full below v: the watermarks it covers merge into one.
            w1 = ww[lane] + 1 if how[lane] == 1 else spare
            top[w1, lane] = vl[lane]
            for s in range(ns):
                above[w1, s, lane] = kept[s, lane]
                fill[w1, s, lane] = full[s]
            part |= how[lane] == 2
        if part:
            for lane in range(nl):
                if how[lane] == 2:
                    _fill_partly(lane, av[lane] / cp[lane], vl[lane], ww[lane], st)
        for lane in range(nl):
            full_in = how[lane] == 1
            for s in range(ns):
                total[s, lane] = kept[s, lane] + full[s] * vl[lane] if full_in else total[
                    s, lane]
            nw[lane] = ww[lane] + 2 if full_in else nw[lane]
            c = cp[lane] if full_in else (av[lane] if how[lane] == 2 else 0.0)
            x = col[i, lane]
            col[i, lane] = x * (1.0 - m * per) if c == av[lane] else x + m * (rl[lane] - c)


@lane_loops
def _volume_apart(i, col, pk, rl, rr, vl, midpoint, well):
    """The volumes of packets ``pk`` plus their release that the series does not
    reach from row ``i``'s (``|t| > 0.01``, or over the full well)."""
    notch, power, scale = well
    for lane in range(pk.shape[0]):
        t = (pk[lane] - col[i, lane] + rl[lane]) * rr[i, lane]
        if (abs(t) > 0.01) | (midpoint & (rr[i, lane] == 0.0)):
            f = (pk[lane] + rl[lane] - notch) * scale
            vl[lane] = 1.0 if f >= 1.0 else (f ** power if f > 0.0 else 0.0)


@lane_loops
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
    sum_above(lane, max(w, 0), st)


@lane_loops
def sum_above(lane, j0, st):
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

"""The compiled loops of brighter-fatter (`ccdsim.physics.transfer.brighterfatter`).

Each pixel's potential and its flows to the four neighbours, a block of rows
at a time, with the same operations in the same order for every pixel, so
any split of the rows gives the same bits (threads never change the result).
"""

import numpy as np

from ...core.kernels import compiled

__all__ = ["flow", "bf_rows", "BLOCK", "MAX_RADIUS"]

# Rows per pass: a block's buffers (~3 MiB at 4000 columns) stay in cache.
BLOCK = 32
#: The largest radius of the effect (px); the kernel reaches ``radius - 1`` pixels
#: each way, so the row sums are padded by ``_REACH`` on each side.
MAX_RADIUS = 6
_REACH = MAX_RADIUS - 1


@compiled
def flow(pp, pq, qp, qq):
    """``(Φ_p - Φ_q) w_pq``: exactly ``-flow(pq, pp, qq, qp)``."""
    d = pp - pq
    m = 0.5 * (qp + qq)
    return d * min(m, qp if d > 0.0 else qq)


@compiled
def bf_rows(q, k, alpha, cap, r0, r1, out):
    """Rows ``r0:r1`` of the brighter-fatter map of ``q`` into ``out``.

    Each pixel's potential and flows are computed with the same operations in
    the same order whatever ``r0, r1``, so any split of the rows into calls
    gives the same bits.
    """
    ny, nx = q.shape
    rk = (k.shape[0] - 1) // 2
    # Capped charge (what pushes), zero beyond the array's edges: every pixel's
    # potential is then the same sum, and the loops need no edge cases.
    c = np.zeros((BLOCK + 2 + 2 * rk, nx + 2 * rk))
    s = np.zeros(nx + 2 * _REACH)
    v = np.empty((BLOCK + 2, nx))  # charge, as float64
    phi = np.empty((BLOCK + 2, nx))
    t = np.empty(nx)
    for b0 in range(r0, r1, BLOCK):
        b1 = min(b0 + BLOCK, r1)
        p0, p1 = max(b0 - 1, 0), min(b1 + 1, ny)  # potential: one row beyond the block
        c0 = p0 - rk
        for i in range(c0, p1 + rk):
            cr = c[i - c0]
            if 0 <= i < ny:
                for j in range(nx):
                    cr[j + rk] = min(float(q[i, j]), cap)
            else:
                cr[:] = 0.0
        for i in range(p0, p1):
            for j in range(nx):
                v[i - p0, j] = float(q[i, j])
            row = phi[i - p0]
            row[:] = 0.0
            # K is symmetric: rows i - d and i + d summed first, then columns j - e and j + e.
            for d in range(rk + 1):
                up, dn = c[i - d - c0], c[i + d - c0]
                for j in range(nx + 2 * rk):
                    s[j + _REACH - rk] = up[j] + dn[j] if d > 0 else up[j]
                # Columns j - e and j + e for every e in one pass, the sums in the order
                # of a pass per e (the same bits): half the time, loads and stores
                # being what bound it. Terms past the radius add 0 x (finite charge).
                w0 = k[rk + d, rk]
                kd = k[rk + d]
                w1 = kd[rk + 1] if rk >= 1 else 0.0
                w2 = kd[rk + 2] if rk >= 2 else 0.0
                w3 = kd[rk + 3] if rk >= 3 else 0.0
                w4 = kd[rk + 4] if rk >= 4 else 0.0
                w5 = kd[rk + 5] if rk >= 5 else 0.0
                for j in range(nx):
                    m = j + _REACH
                    acc = row[j] + w0 * s[m]
                    acc = acc + w1 * (s[m - 1] + s[m + 1])
                    acc = acc + w2 * (s[m - 2] + s[m + 2])
                    acc = acc + w3 * (s[m - 3] + s[m + 3])
                    acc = acc + w4 * (s[m - 4] + s[m + 4])
                    row[j] = acc + w5 * (s[m - 5] + s[m + 5])
        # One pass per neighbour, in the same order for every pixel: up, down, left, right.
        for i in range(b0, b1):
            pr, vr = phi[i - p0], v[i - p0]
            t[:] = 0.0
            for d in (-1, 1):
                if 0 <= i + d < ny:
                    pn, vn = phi[i + d - p0], v[i + d - p0]
                    for j in range(nx):
                        t[j] += flow(pr[j], pn[j], vr[j], vn[j])
            for j in range(1, nx):
                t[j] += flow(pr[j], pr[j - 1], vr[j], vr[j - 1])
            for j in range(nx - 1):
                t[j] += flow(pr[j], pr[j + 1], vr[j], vr[j + 1])
            for j in range(nx):
                out[i, j] = vr[j] - alpha * t[j]

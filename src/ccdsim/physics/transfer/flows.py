"""The compiled loops of brighter-fatter (`ccdsim.physics.transfer.brighterfatter`).

Each pixel's potential and its flows to the four neighbours, a block of rows
at a time, with the same operations in the same order for every pixel, so
any split of the rows gives the same bits (threads never change the result).
"""

import numpy as np

from ...core.kernels import compiled

__all__ = ["flow", "bf_rows", "BLOCK"]

# Rows per pass: a block's buffers (~3 MiB at 4000 columns) stay in cache.
BLOCK = 32


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
    s = np.empty(nx + 2 * rk)
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
                    s[j] = up[j] + dn[j] if d > 0 else up[j]
                w = k[rk + d, rk]
                for j in range(nx):
                    row[j] += w * s[j + rk]
                for e in range(1, rk + 1):
                    w = k[rk + d, rk + e]
                    for j in range(nx):
                        row[j] += w * (s[j + rk - e] + s[j + rk + e])
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

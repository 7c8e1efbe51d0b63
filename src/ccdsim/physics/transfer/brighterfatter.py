"""Brighter-fatter: charge already collected pushes new charge to the neighbours.

Its place: right after the frame's one Poisson draw, on the whole detector's
drawn electrons, before the full well and the read-out. A deterministic
redistribution driven by the drawn charge itself, so that the statistics of
real sensors emerge (Astier et al. 2019, A&A 629, A36): the variance of a
flat falls below its mean at high signal, neighbouring pixels covary, and
bright stars grow wider while their flux is kept.

The model
---------
Charge ``Q`` (e-) makes a potential ``Φ = K ⊗ min(Q, full_well)``, ``K`` a
small fixed kernel (see below). Across each boundary between neighbours
``p`` and ``q`` inside the array the charge moving from ``p`` to ``q`` is ::

    F_pq = α (Φ_p - Φ_q) w_pq,   w_pq = min((Q_p + Q_q) / 2, Q_source)

``(Q_p + Q_q) / 2`` is the charge density at the boundary, which a shifted
boundary hands over; ``Q_source`` (``Q_p`` if ``Φ_p > Φ_q``, else ``Q_q``)
bounds it, so no pixel gives away charge it lacks. ``F_qp = -F_pq`` exactly
in floating point, so the total is conserved to rounding; none leaves the
array. ``Q' = Q - Σ_q F_pq``.

Charge builds up linearly during the exposure, so new charge meets on
average half the final potential: the boundaries' shift per electron is
``α' = 2 α`` (the build-up factor 1/2 is folded into ``α``).

The truth
---------
Linearised around a flat ``μ``, ``δ' = (I + μ L) δ`` with ``L = α ΔK``
(``Δ`` the 5-point Laplacian), so a flat's covariance is exactly
``μ (I + μ L)(I + μ L)^T``: ``C_ij = μ (δ_ij + a_ij μ + μ (a ⋆ a)_ij / 4)``
with ``a = 2 L = α' ΔK``, Astier's pixel-area coefficients (1/e-): a pixel's
area grows by ``a_ij`` per electron in the pixel ``(i, j)`` away; ``a_00 < 0``,
the others > 0 (at the rim within 5e-4 |a_00| of 0), ``Σ a_ij = 0``. The
strength is ``brighter_fatter = -a_00``. Astier's model integrates the
build-up of the fluctuations too, ``C = (exp(2 μ a) - 1) / (2 a)``, the same
to first order in ``a μ``; at second order it has ``2/3 μ² (a ⋆ a)`` where
this map has ``1/4`` (a map applied after the draw cannot see when each
electron came): at ``a_00 μ = -0.3`` its ``C_00`` is 4% above this map's,
its ``C_01`` 20% below.

The kernel
----------
A point charge shifts the boundaries around it by its field, ∝ r^-2, so a
pixel ``r`` away grows ∝ r^-3. ``K`` is the kernel of radius ``radius - 1``
whose Laplacian best fits (least squares) ``a_ij ∝ r^-3`` for
``0 < r <= radius``, ``a_00 = -Σ``; the truth is the Laplacian of that ``K``
itself (within 5e-4 |a_00| of the law; 4e-3 at radius 2). GalSim's electrostatic model of an
ITL sensor (``SiliconSensor``) follows the same law out to 4 px; averaged
over directions its ``a_01 / |a_00|`` is 0.126, this model's 0.128 with the
default radius 5; its stars grow 10% more for the same ``a_00`` (it is not
isotropic: 0.07 for the next pixel in a row, 0.18 in a column). The tests
compare both.
"""

import itertools
from functools import lru_cache

import numpy as np

from ...core.kernels import in_parts
from ...core.validate import ParameterError
from .flows import BLOCK, MAX_RADIUS, bf_rows

__all__ = ["bf_kernel", "brighter_fatter", "flat_covariances", "max_strength", "bf_electrons",
           "check_strength", "truth_files",
           "DEFAULT_RADIUS", "DEFAULT_FULL_WELL"]

#: Reach of the effect (px): the truth ``a_ij`` is zero beyond it.
DEFAULT_RADIUS = 5
#: Charge above it pushes no further (e-); sets `max_strength`.
DEFAULT_FULL_WELL = 2e5


def _laplacian(k):
    """5-point Laplacian of ``k``, on the grid one pixel larger on each side."""
    p = np.pad(k, 2)
    # Summed in pairs so that the result is exactly as symmetric as ``k``.
    return ((p[:-2, 1:-1] + p[2:, 1:-1]) + (p[1:-1, :-2] + p[1:-1, 2:])) - 4.0 * p[1:-1, 1:-1]


@lru_cache(maxsize=16)
def _potential(radius):
    """The kernel ``K``, shape ``(2 radius - 1)²``, scaled to ``(ΔK)_00 = -1``; read-only."""
    r = int(radius)
    if r != radius or r < 1 or r > MAX_RADIUS:
        raise ValueError(f"radius must be an integer from 1 to {MAX_RADIUS} pixels, not {radius}")
    rk = r - 1
    # One unknown per symmetry class (|i| <= |j|): K comes out exactly symmetric.
    classes = [(i, j) for i in range(rk + 1) for j in range(i, rk + 1)]
    y, x = np.mgrid[-rk:rk + 1, -rk:rk + 1]
    lo, hi = np.minimum(abs(x), abs(y)), np.maximum(abs(x), abs(y))
    basis = np.stack([_laplacian(((lo == i) & (hi == j)).astype(float)).ravel()
                      for i, j in classes], axis=1)
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    rho = np.hypot(x, y)
    target = np.where((rho > 0) & (rho <= r + 1e-9), np.maximum(rho, 1.0) ** -3.0, 0.0)
    target[r, r] = -target.sum()
    coef = np.linalg.lstsq(basis, target.ravel(), rcond=None)[0]
    k = sum(c * ((lo == i) & (hi == j)) for c, (i, j) in zip(coef, classes))
    k = np.asarray(k, dtype=np.float64) / -_laplacian(np.atleast_2d(k))[r, r]
    # Rounded so the last bits of the solver (they vary with the CPU) never reach the pixels.
    k = np.round(k, 12)
    k.setflags(write=False)
    return k


def bf_kernel(strength, radius=DEFAULT_RADIUS):
    """The truth: Astier's pixel-area coefficients ``a_ij`` of the model (1/e-).

    Parameters
    ----------
    strength : float
        ``brighter_fatter = -a_00`` (1/e-), >= 0; CCDs: ~1e-6 to 3e-6.
    radius : int, optional
        Reach of the effect (px), 1 to 6.

    Returns
    -------
    ndarray, shape ``(2 radius + 1, 2 radius + 1)``
        ``a[radius + i, radius + j] = a_ij``: a pixel's relative area grows by
        ``a_ij`` per electron in the pixel ``i`` rows and ``j`` columns away.
        A flat of ``μ`` e- has ``C_ij ≈ μ (δ_ij + a_ij μ)`` (e-²). Sums to 0.

    Examples
    --------
    >>> a = bf_kernel(2e-6)
    >>> print(a.shape, f"{a[5, 5]:.2e} {a[5, 6]:.2e} {a[6, 6]:.2e} {abs(a.sum()) < 1e-18}")
    (11, 11) -2.00e-06 2.57e-07 9.08e-08 True
    """
    k = _potential(radius)
    return float(strength) * _laplacian(k)


@lru_cache(maxsize=16)
def _push_bound(radius):
    """Largest ``Σ_q max(0, Φ_p - Φ_q)`` over charges in [0, 1] (``Φ = K ⊗ Q``)."""
    k = np.pad(_potential(radius), 1)
    best = 0.0
    # Σ_{q in S} (Φ_p - Φ_q) is linear in Q: largest with Q = 1 where its weight is > 0.
    for n in range(1, 5):
        for shifts in itertools.combinations([(1, 0), (-1, 0), (0, 1), (0, -1)], n):
            w = n * k - sum(np.roll(k, s, axis=(0, 1)) for s in shifts)
            best = max(best, float(np.maximum(w, 0.0).sum()))
    return best


def max_strength(radius=DEFAULT_RADIUS, full_well=DEFAULT_FULL_WELL):
    """Largest ``brighter_fatter`` (1/e-) for which no pixel can lose more charge than it holds.

    With charge up to ``full_well`` anywhere around it, a pixel gives away at
    most the fraction ``strength / 2 * B * full_well`` of its own charge (``B``
    the largest sum of its potential drops to its neighbours per electron,
    from ``K``); this is ``2 / (B full_well)``.

    Examples
    --------
    >>> print(f"{max_strength():.2e} {max_strength(full_well=1e5):.2e}")
    9.96e-06 1.99e-05
    """
    return 2.0 / (_push_bound(radius) * float(full_well))


def brighter_fatter(electrons, strength, *, radius=DEFAULT_RADIUS, full_well=DEFAULT_FULL_WELL,
                    threads=None, out=None):
    """Redistribute the drawn electrons as the brighter-fatter effect does (flux kept).

    Its place: right after the frame's Poisson draw, on the whole detector,
    before the full well. The model and its truth: this module's docstring.
    Charge moves only between pixels of the array: at its edges, where no
    charge lies beyond, a flat's edge pixels gain a little.

    Parameters
    ----------
    electrons : ndarray, shape (ny, nx), float64 or int64
        Drawn electrons per pixel (e-), >= 0; not modified.
    strength : float
        ``brighter_fatter = -a_00`` (1/e-): a pixel's area shrinks by this
        fraction per electron it holds. From 0 to `max_strength` (~1e-5 for
        the defaults); CCDs ~1e-6 to 3e-6. 0 returns an unchanged copy.
    radius : int, optional
        Reach of the effect (px), 1 to 6. Stars grow less with a smaller
        one (the charge pushed far moves their second moments most); cost
        grows with it (4072x4000 px: ~0.06 s at 5 on two cores, 0.04 s at 3).
    full_well : float, optional
        Charge above it pushes no further (e-): a full well's potential stops
        growing. Sets `max_strength`.
    threads : int, optional
        Worker threads (default: all CPUs); never changes the result.
    out : ndarray of float64, shape (ny, nx), optional
        Where the result goes (C-ordered, not ``electrons``); default: a new array.

    Returns
    -------
    ndarray of float64, shape (ny, nx)
        Electrons after the redistribution (e-), each >= 0; the total is the
        input's to rounding (~1e-15 relative).

    Raises
    ------
    ValueError
        If ``strength`` is above `max_strength` (a pixel could be left with
        negative charge).

    Examples
    --------
    >>> flat = np.full((21, 21), 1e5)
    >>> flat[10, 10] = 1.5e5  # a bright pixel gives charge to its neighbours
    >>> out = brighter_fatter(flat, 2e-6)
    >>> print(f"{out[10, 10]:.0f} {out[10, 11]:.0f}", abs(out.sum() / flat.sum() - 1) < 1e-15)
    143750 100954 True
    """
    q = np.ascontiguousarray(electrons)
    strength = float(strength)
    if out is None:
        out = np.empty(q.shape, dtype=np.float64)
    elif out.shape != q.shape or out.dtype != np.float64 or not out.flags.c_contiguous or \
            np.may_share_memory(out, q):
        raise ValueError("out must be a C-ordered float64 array of the electrons' shape, "
                         "apart from them")
    if strength == 0.0:
        out[...] = q
        return out
    limit = max_strength(radius, full_well)
    if not 0.0 <= strength <= limit:
        raise ValueError(f"brighter_fatter must be from 0 to {limit:.3g} per e- with radius "
                         f"{radius} and full well {full_well:g} e- (got {strength:g}): "
                         "stronger, a pixel could lose more charge than it holds")
    if q.ndim != 2:
        raise ValueError(f"electrons must be a 2-D array, not {q.ndim}-D")
    if q.dtype != np.int64:
        q = q.astype(np.float64, copy=False)
    k = _potential(radius)
    alpha, cap = 0.5 * strength, float(full_well)
    in_parts(lambda r0, r1: bf_rows(q, k, alpha, cap, r0, r1, out), q.shape[0], threads,
             least=4 * BLOCK)
    return out


def flat_covariances(mean_electrons, strength, *, radius=DEFAULT_RADIUS, max_lag=2):
    """The model's covariances of a flat field over its mean, ``C_ij / μ`` (e-²/e-).

    Exact for the linearised map: ``C = μ (I + μ L)(I + μ L)^T``, i.e.
    ``C_ij / μ = δ_ij + μ a_ij + μ² (a ⋆ a)_ij / 4`` with ``a = bf_kernel``;
    the terms left out are ~1/μ of these. For pixels ``radius + 1`` or more
    from the edges and ``mean_electrons`` a few sigma below ``full_well``.

    Parameters
    ----------
    mean_electrons : float
        Level of the flat, μ (e-).
    strength, radius
        As `brighter_fatter`.
    max_lag : int, optional
        Largest lag returned (px).

    Returns
    -------
    ndarray, shape ``(max_lag + 1, max_lag + 1)``
        ``[i, j]``: covariance at a lag of ``i`` rows and ``j`` columns over
        ``μ`` (so ``[0, 0]`` is variance / mean; 1 without the effect).

    Examples
    --------
    >>> c = flat_covariances(1e5, 2e-6)
    >>> print(np.round(c[:2, :2], 4))
    [[0.8108 0.0234]
     [0.0234 0.0086]]
    """
    mu = float(mean_electrons)
    g = 0.5 * mu * bf_kernel(strength, radius)
    r = g.shape[0] // 2
    g[r, r] += 1.0
    m = int(max_lag)
    p = np.pad(g, m)
    out = np.empty((m + 1, m + 1))
    for i in range(m + 1):
        for j in range(m + 1):
            out[i, j] = float((p[m:m + g.shape[0], m:m + g.shape[1]]
                               * p[m + i:m + i + g.shape[0], m + j:m + j + g.shape[1]]).sum())
    return out


def bf_electrons(electrons, camera, threads=None, out=None):
    """Step 3's brighter-fatter of a camera: `brighter_fatter` with its strength and full well.

    Parameters
    ----------
    electrons : ndarray, shape (ny, nx)
        The detector's drawn electrons (e-), after the cosmic rays.
    camera : ccdsim.Camera
        Its ``brighter_fatter`` (1/e-) and ``full_well`` (e-; None: `DEFAULT_FULL_WELL`).
    threads : int, optional
        Worker threads; never changes the result.
    out : ndarray of float64, optional
        Where the result goes (`brighter_fatter`).

    Returns
    -------
    ndarray of float64
    """
    return brighter_fatter(electrons, camera.brighter_fatter, full_well=_full_well(camera),
                           threads=threads, out=out)


def check_strength(camera):
    """Refuse a ``brighter_fatter`` that could push a pixel's charge below zero.

    Parameters
    ----------
    camera : ccdsim.Camera

    Raises
    ------
    ccdsim.ParameterError
        Naming ``brighter_fatter`` and its bound for the camera's full well.
    """
    bound = max_strength(DEFAULT_RADIUS, _full_well(camera))
    if camera.brighter_fatter > bound:
        raise ParameterError(f"brighter_fatter must be in [0, {bound:.3g}] for a full well of "
                             f"{_full_well(camera):g} e- (got {camera.brighter_fatter:g})",
                             param="brighter_fatter")


def truth_files(camera):
    """The truth this effect writes for a night: ``{file name: function}``.

    ``brighter-fatter.fits`` (a camera with it): the kernel ``a_ij`` of
    `bf_kernel` (1/e-, centred; Astier et al. 2019's convention: a pixel's
    area changes by ``a_ij`` per electron in the pixel ``(i, j)`` away).

    Parameters
    ----------
    camera : ccdsim.Camera

    Returns
    -------
    dict
    """
    if camera.brighter_fatter <= 0:
        return {}
    return {"brighter-fatter.fits": lambda: (
        bf_kernel(camera.brighter_fatter).astype(np.float64), "1/electron",
        "Brighter-fatter kernel a_ij (Astier et al. 2019): a pixel's area changes by a_ij "
        "per electron i, j pixels away; a_00 = -brighter_fatter, sum 0.")}


def _full_well(camera):
    return DEFAULT_FULL_WELL if camera.full_well is None else camera.full_well

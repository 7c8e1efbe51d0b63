"""Persistence: the after-image of pixels that were over the full well earlier in a night.

Charge beyond a pixel's full well is partly trapped (at the surface, in the
substrate) and leaks out over the following minutes, so a saturated star
shows up again in the next frames, dark ones included, where L.A.Cosmic may
take it for a cosmic ray.

The law, per pixel, for a frame ``k`` of the night that ended at ``t_k``
with ``E_k`` expected electrons over the full well: a fraction ``f``
(``persistence``) of ``E_k`` is trapped and released at the rate
``f E_k exp(-(t - t_k) / tau) / tau`` (``tau``: ``persistence_time``, s).
A later exposure from ``t0`` to ``t1`` collects the integral::

    charge = sum_k  f E_k [exp(-(t0 - t_k) / tau) - exp(-(t1 - t_k) / tau)]   [e-]

over every frame ``k`` that ended before ``t0`` (times from ``DATE-OBS`` and
the exposure time). All of ``f E_k`` leaks out in the end; a bias frame (no
exposure) collects none, as the CCD is cleared before each exposure.

``E_k`` comes from the plan, not from frame ``k``'s pixels: its expected
electrons (light x flat + dark, `ccdsim.readout.exposure.Exposure.expected`) over
the full well, before the Poisson draw and the bleeding. So frame ``i`` stays
a pure function of the plan and ``i``. The charge enters frame ``i`` at step 1
of the read-out, as more expected electrons (``charge=`` of
`ccdsim.Camera.prepare`), not scaled by the flat field.
"""

from datetime import datetime

import numpy as np

from ..core.arrays import cached_on
from ..physics.fullwell import has_persistence
from ..physics.steps import expected_electrons
from .frames import frame_light

__all__ = ["overfull_pixels", "frame_windows", "persistence_pixels", "persistence_charge",
           "frame_persistence", "persistence_table"]

# Rows of expected electrons looked at a time (bounds the memory of a big frame).
_ROWS = 256


def overfull_pixels(exposure, full_well):
    """Pixels whose expected electrons exceed the full well, and by how much.

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        A planned exposure (its expected electrons, without persistence).
    full_well : float
        Pixel capacity, in e-.

    Returns
    -------
    index : ndarray of int64
        Flat indices into the data section, sorted.
    excess : ndarray of float64
        Expected electrons over ``full_well``, in e-.
    """
    ny, nx = exposure.camera.shape
    index, excess = [], []
    sources = exposure.sources  # once: its maps (shutter, glow) are whole-frame
    for r0 in range(0, ny, _ROWS):
        r1 = min(r0 + _ROWS, ny)
        lam = expected_electrons(sources, r0, r1)
        if lam is None:
            continue
        lam = np.broadcast_to(lam, (r1 - r0, nx)).ravel()
        over = np.flatnonzero(lam > full_well)
        index.append(over + r0 * nx)
        excess.append(lam[over] - full_well)
    if not index:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(index).astype(np.int64), np.concatenate(excess)


def frame_windows(plan):
    """Start and end of every exposure of a night, in seconds since the first frame's start.

    Parameters
    ----------
    plan : ccdsim.NightPlan
        The night (``DATE-OBS`` and exposure time of each frame).

    Returns
    -------
    start, end : ndarray of float64
    """
    dates = [datetime.fromisoformat(f.date_obs) for f in plan.frames]
    start = np.array([(d - dates[0]).total_seconds() for d in dates])
    return start, start + np.array([f.exposure_time for f in plan.frames])


def _sources(plan):
    """``[(end, index, excess), ...]``: the frames of ``plan`` with overfull pixels.

    Computed once per plan (a plan is frozen), kept with it.
    """
    return cached_on(plan, "_persistence_sources", lambda: _overfull_frames(plan))


def _overfull_frames(plan):
    cam = plan.camera
    _, end = frame_windows(plan)
    found = []
    for spec in plan.frames:
        if spec.exposure_time == 0:
            continue  # a bias frame collects nothing
        # The frame's own light and dark; its seed does not change what is expected.
        exposure = cam.prepare(spec.exposure_time, **frame_light(plan, spec), rng=0)
        index, excess = overfull_pixels(exposure, cam.full_well)
        if index.size:
            found.append((end[spec.index], index, excess))
    return found


def persistence_pixels(plan, index):
    """Persistence charge of frame ``index``: the pixels that get some, and how much.

    Parameters
    ----------
    plan : ccdsim.NightPlan
        The night.
    index : int
        Position in ``plan.frames``.

    Returns
    -------
    pixels : ndarray of int64
        Flat indices into the data section, sorted.
    charge : ndarray of float64
        Expected electrons released into each during the exposure (the law
        of this module's docstring).
        Both empty when the frame collects none.
    """
    cam = plan.camera
    none = np.zeros(0, dtype=np.int64), np.zeros(0)
    if not has_persistence(cam) or plan.frames[index].exposure_time == 0:
        return none
    start, end = frame_windows(plan)
    t0, t1, tau = start[index], end[index], cam.persistence_time
    parts = [(pix, cam.persistence * excess
              * (np.exp(-(t0 - t_end) / tau) - np.exp(-(t1 - t_end) / tau)))
             for t_end, pix, excess in _sources(plan) if t_end <= t0]
    if not parts:
        return none
    pixels, inverse = np.unique(np.concatenate([p for p, _ in parts]), return_inverse=True)
    return pixels, np.bincount(inverse, weights=np.concatenate([c for _, c in parts]))


def persistence_charge(plan, index):
    """The persistence charge map of frame ``index``, in e- over its exposure.

    Parameters
    ----------
    plan : ccdsim.NightPlan
        The night.
    index : int
        Position in ``plan.frames``.

    Returns
    -------
    ndarray of float64 or None
        ``(ny, nx)`` expected e-; None when the frame collects none (its
        pixels are then those of a camera without persistence).
    """
    pixels, charge = persistence_pixels(plan, index)
    if not pixels.size:
        return None
    out = np.zeros(plan.camera.shape)
    out.flat[pixels] = charge
    return out


def frame_persistence(plan, index, cards):
    """Frame ``index``'s persistence charge and its header cards.

    Parameters
    ----------
    plan : ccdsim.NightPlan
        The night.
    index : int
        Position in ``plan.frames``.
    cards : dict
        The frame's header cards, ``{keyword: (value, comment)}``.

    Returns
    -------
    charge : ndarray or None
        `persistence_charge`.
    cards : dict
        ``cards``, with ``PERSTOT`` (the charge's total, e-; truth) when
        there is any charge.
    """
    charge = persistence_charge(plan, index)
    if charge is None:
        return None, cards
    return charge, {**cards, "PERSTOT": (float(charge.sum()),
                                         "[e-] persistence charge, expected (truth)")}


def persistence_table(plan):
    """The night's persistence truth: every pixel of every frame that collects charge.

    Parameters
    ----------
    plan : ccdsim.NightPlan
        The night.

    Returns
    -------
    astropy.table.Table
        Columns ``frame`` (index), ``filename``, ``x``, ``y`` (pixels,
        0-based, data section) and ``charge`` (expected e- released during
        the exposure); one row per pixel and frame.
    """
    from astropy.table import Table

    nx = plan.camera.shape[1]
    rows = {"frame": [], "filename": [], "x": [], "y": [], "charge": []}
    for spec in plan.frames:
        pixels, charge = persistence_pixels(plan, spec.index)
        rows["frame"].append(np.full(pixels.size, spec.index))
        rows["filename"].append(np.full(pixels.size, spec.filename, dtype="U64"))
        rows["x"].append(pixels % nx)
        rows["y"].append(pixels // nx)
        rows["charge"].append(charge)
    t = Table({k: np.concatenate(v) for k, v in rows.items()})
    t["x"].unit = t["y"].unit = "pix"  # charge: e- (no FITS unit string for electrons)
    cam = plan.camera
    t.meta["PERSFRAC"] = (cam.persistence, "fraction of the excess released")
    t.meta["PERSTAU"] = (cam.persistence_time, "[s] e-folding time of the release")
    t.meta["comment"] = ("Persistence: expected e- each frame collects from earlier frames' "
                         "charge over the full well, f E [exp(-(t0 - tk)/tau) - "
                         "exp(-(t1 - tk)/tau)] summed over the earlier frames k.")
    return t

"""Frames simulated like the input: one twin per bias, dark and flat, from the fitted camera file.

Each twin has its frame's kind, exposure time, filter and clock (hours from
the first frame, so the drift is the night's), and a flat twin the light
that gives its frame's measured level (the fitted nonlinearity undone), made
by `ccdsim.Camera.from_file` with its own seed. Fitting the twins with
`ccdsim.twin.fit_camera` and comparing the two fits, each value against
its standard errors, is the fit's closed loop (`ccdsim.twin.report`).
"""

import os

import numpy as np
from astropy.time import Time, TimeDelta

from ...camera.camera import Camera

__all__ = ["simulate_like", "compare"]

#: DATE-OBS of the twins' first frame (the clock counts from it).
TWIN_START = "2026-01-01T00:00:00"


def simulate_like(fit, camera_file, folder, seed=0):
    """Write a twin of every bias, dark and flat of a fit's input into ``folder``.

    Parameters
    ----------
    fit : CameraFit
        The fit (its frames, their levels).
    camera_file : str
        The camera file written from it.
    folder : str
        An existing, empty folder.
    seed : int, optional
        Seed of the twins' noise (twin ``i`` from ``[seed, i]``).

    Returns
    -------
    list of str
        The files written.
    """
    cam = Camera.from_file(camera_file)
    level = {}
    for name, info in fit.flats.items():
        for f, m in zip(fit.collection.of("flat", filter=name), info["levels"]):
            level[f.path] = float(m)
    nl = fit.measured.get("nonlinearity")
    t0 = Time(TWIN_START, format="isot", scale="utc")
    written = []
    frames = [f for f in fit.collection.frames if f.kind in ("bias", "dark", "flat")]
    for i, f in enumerate(frames):
        hours = f.time or 0.0
        sky = 0.0
        if f.kind == "flat":
            m = level[f.path]
            sky = m / (1 + (nl.value * m / 55000.0 if nl else 0.0))
        date = (t0 + TimeDelta(hours * 3600.0, format="sec")).isot
        cards = {"DATE-OBS": (date, "start of the exposure (UTC)")}
        if f.filter:
            cards["FILTER"] = (f.filter, "filter")
        exposure = cam.prepare(f.exptime, sky=sky, stars=0, imagetyp=f.kind.upper(),
                               cards=cards, clock=hours * 3600.0,
                               filter=f.filter or None, rng=[seed, i])
        path = os.path.join(folder, f"twin-{i + 1:04d}.fits")
        exposure.frame().write(path)
        written.append(path)
    return written


def compare(a, b):
    """Each value both fits measured: ``(name, a, b, z)``, ``z`` the difference in its SE.

    Parameters
    ----------
    a, b : CameraFit
        The input's fit and the twins'.

    Returns
    -------
    list of tuple
        ``(name, Measured, Measured, z)``; ``z`` NaN where an error is unknown
        (0 where both are exact and equal).
    """
    out = []
    for name, va in a.measured.items():
        vb = b.measured.get(name)
        if vb is None:
            continue
        se = np.hypot(va.se, vb.se)
        z = (vb.value - va.value) / se if np.isfinite(se) and se > 0 else \
            0.0 if se == 0 and vb.value == va.value else float("nan")  # exact: the converter
        out.append((name, va, vb, float(z)))
    return out

"""Amplifier and sensor glow: charge that spreads from the chip's edges and corners.

An output amplifier (or a warm corner of the sensor) emits light that the
chip collects near it: a glow that falls off with the distance from its
source. `glow_map` is its rate, in e-/pixel/s; a frame collects it over its
exposure and while it is read out (so zero-second biases glow too):
``glow_map x (exposure_time + readout_time)`` electrons, part of step 1 of
the read-out (expected electrons, before the one Poisson draw).

`glow_rate_map` is a camera's glow, made once per camera and read-only.
"""

from functools import lru_cache

import numpy as np

from ..core.arrays import read_only
from ..core.validate import ParameterError

__all__ = ["GLOW_EDGES", "GLOW_CORNERS", "GLOW_WORDS", "parse_glow_sources", "glow_map",
           "glow_rate_map"]

#: Edges a glow can come from; row 0 is the bottom (FITS and ds9 show it lowest).
GLOW_EDGES = ("left", "right", "bottom", "top")
#: Corners a glow can come from.
GLOW_CORNERS = ("lower-left", "lower-right", "upper-left", "upper-right")
#: Every word ``glow_sources`` may hold.
GLOW_WORDS = GLOW_EDGES + GLOW_CORNERS


def parse_glow_sources(text, spelled="glow_sources"):
    """The glow's sources from text such as ``"left,right"`` or ``"lower-left,left"``.

    Parameters
    ----------
    text : str
        Comma-separated words of `GLOW_WORDS` (spaces and case ignored).
    spelled : str, optional
        The parameter's name as the caller knows it (starts the error message).

    Returns
    -------
    tuple of str
        The distinct sources, in the order given.

    Raises
    ------
    ccdsim.ParameterError
        One line naming the allowed words, if a word is not one of them.
    """
    words = [w.strip().lower() for w in str(text).split(",")]
    bad = [w for w in words if w not in GLOW_WORDS]
    if bad or not words:
        raise ParameterError(f"{spelled} must be comma-separated words of "
                             f"{', '.join(GLOW_WORDS)} (got {str(text)[:40]!r})",
                             param="glow_sources", spelled=spelled)
    return tuple(dict.fromkeys(words))


def glow_map(shape, rate, length, sources):
    """Glow rate per pixel: ``rate x exp(-distance / length)`` summed over the sources.

    The distance is from the source's edge (a column or row of pixel
    centres) or corner pixel, in pixels; sources add up.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    rate : float
        Glow at each source, in e-/pixel/s.
    length : float
        Decay length (e-folding), in pixels (> 0).
    sources : sequence of str
        Words of `GLOW_WORDS` (see `parse_glow_sources`).

    Returns
    -------
    ndarray of float32, shape ``shape``
        e-/pixel/s.
    """
    ny, nx = shape
    x = np.arange(nx, dtype=np.float64)
    y = np.arange(ny, dtype=np.float64)
    # Distances from each edge: left, right, bottom, top.
    dx = {"left": x, "right": nx - 1 - x}
    dy = {"bottom": y, "top": ny - 1 - y}
    cols = np.zeros(nx)  # edge glows are separable: a row profile ...
    rows = np.zeros(ny)  # ... plus a column profile
    out = np.zeros(shape, dtype=np.float64)
    for s in sources:
        if s in dx:
            cols += np.exp(-dx[s] / length)
        elif s in dy:
            rows += np.exp(-dy[s] / length)
        else:
            out += _corner(shape, s, length)
    out += cols[None, :]
    out += rows[:, None]
    return (rate * out).astype(np.float32)


def _corner(shape, corner, length):
    """``exp(-distance / length)`` from one corner pixel, computed near it only."""
    ny, nx = shape
    # Beyond 40 decay lengths the glow is below 1e-17 of its peak: left at 0.
    w = int(min(max(ny, nx), np.ceil(40 * length)))
    hy, hx = min(ny, w), min(nx, w)
    d = np.hypot(np.arange(hy, dtype=np.float64)[:, None], np.arange(hx, dtype=np.float64))
    patch = np.exp(-d / length)
    vert, horiz = corner.split("-")
    out = np.zeros(shape)
    rows = slice(0, hy) if vert == "lower" else slice(ny - hy, ny)
    cols = slice(0, hx) if horiz == "left" else slice(nx - hx, nx)
    # Mirror the patch so its first element sits on the corner pixel.
    out[rows, cols] = patch[:: 1 if vert == "lower" else -1, :: 1 if horiz == "left" else -1]
    return out


# A memo by value, not per camera (see ccdsim.core.arrays): equal cameras share it.
@lru_cache(maxsize=8)
def _glow(shape, rate, length, sources):
    return read_only(glow_map(shape, rate, length, parse_glow_sources(sources)))


def glow_rate_map(camera):
    """The camera's glow, in e-/pixel/s (read-only float32), or None without glow.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    ndarray or None
    """
    if not camera.glow_rate:
        return None
    return _glow(camera.shape, camera.glow_rate, camera.glow_length, camera.glow_sources)

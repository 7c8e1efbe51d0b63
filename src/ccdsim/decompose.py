"""A frame taken apart: each source of counts alone, as in the guide's step-by-step pictures.

``frame = bias + dark + sky + stars + noise``, in ADU. The first four are
what the camera expects (the truth: its bias map, its dark map x t / gain,
the sky, the stars of the truth table); ``noise`` is what is left, the frame's
randomness (shot noise of every electron, read noise, ADC rounding).
"""

import numpy as np

from .sources import render_stars

__all__ = ["COMPONENTS", "expected_components", "decompose"]

#: Names of the parts, in the camera's order of events; ``noise`` comes last.
COMPONENTS = ("bias", "dark", "sky", "stars", "noise")


def expected_components(camera, exposure_time, sky, truth=None, *, star_sigma=4.0):
    """The expected (noise-free) parts of a frame, in ADU.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its bias map (ADU), dark map (e-/pixel/s) and gain (e-/ADU).
    exposure_time : float
        s.
    sky : float
        ADU per pixel over the exposure.
    truth : astropy.table.Table, optional
        The frame's star table (``Frame.truth``).
    star_sigma : float, optional
        Gaussian sigma (px) for stars without a ``sigma`` column.

    Returns
    -------
    dict of name -> float32 ndarray
        ``bias``, ``dark``, ``sky``, ``stars``.
    """
    shape = camera.shape
    stars = np.zeros(shape, dtype=np.float32)
    if truth is not None and len(truth):
        render_stars(shape, truth, sigma=star_sigma, out=stars)
    return {
        "bias": camera.bias_map,
        "dark": (camera.dark_map * np.float32(exposure_time / camera.gain)).astype(np.float32),
        "sky": np.full(shape, sky, dtype=np.float32),
        "stars": stars,
    }


def decompose(camera, frame, exposure_time, sky, *, star_sigma=4.0):
    """Each source of counts of ``frame`` alone, and the noise that is left.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera that took ``frame``.
    frame : ccdsim.Frame
        The exposure.
    exposure_time, sky, star_sigma
        As given to `Camera.expose` (s, ADU, px).

    Returns
    -------
    dict of name -> float32 ndarray, in ADU
        `COMPONENTS` in order; their sum is ``frame.data`` (to float32 rounding).
    """
    parts = expected_components(camera, exposure_time, sky, frame.truth, star_sigma=star_sigma)
    noise = frame.data.astype(np.float32)
    for image in parts.values():
        noise -= image
    parts["noise"] = noise
    return parts

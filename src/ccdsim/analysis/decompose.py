"""A frame taken apart: each source of counts alone, as in the guide's step-by-step pictures.

``frame = bias + dark + sky + stars + cosmic rays + noise``, in ADU. The
first five are what the camera expects, taken from the engine itself
(`expected_parts`: step 1 of `ccdsim.physics.STEPS` run for each source
alone): the bias the ADC adds to the data section (the camera's bias map
and this frame's offset), all charge that is not light (dark current, hot
pixels, glow, a hot-pixel population, persistence), the sky and the stars
as they reach the pixels (times the filter's flat field and the shutter),
the charge of the frame's cosmic-ray tracks; ``noise`` is what is left, the
frame's randomness (shot noise of every electron, read noise, ADC rounding)
and what moves charge after the draw (the full well, the amplifier's response).
"""

import numpy as np

from ..core.validate import ParameterError
from ..physics.cosmics import render_cosmic_rays
from ..physics.steps import expected_electrons, expected_terms

__all__ = ["COMPONENTS", "expected_parts", "expected_components", "decompose"]

#: Names of the parts, in the camera's order of events; ``noise`` comes last.
COMPONENTS = ("bias", "dark", "sky", "stars", "cosmic rays", "noise")


def _whole(expected, shape):
    """Step 1's result as an array of the data section (it is a number where uniform)."""
    if expected is None:
        return np.zeros(shape)
    return np.broadcast_to(np.asarray(expected, dtype=np.float64), shape).copy()


def expected_parts(exposure, **changes):
    """Step 1 of the engine, source by source: expected electrons over the data section.

    Each part runs the rows of `ccdsim.physics.STEPS` it is made of
    (`ccdsim.physics.steps.expected_terms`) on the exposure's own sources, so
    every personality of the camera, and every effect added to the table, is
    in it (the filter's flat, the shutter, glow, the hot-pixel population,
    persistence). The parts sum to ``total``, the engine's step 1, to float
    precision.

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        The frame's exposure (``frame.exposure``).
    **changes
        Sources to replace first (`ccdsim.physics.steps.Sources` fields:
        ``flat=None`` for the light before the flat field).

    Returns
    -------
    dict of name -> float64 ndarray, in e- over the exposure
        ``sky`` and ``stars`` (light, after the flat field and the shutter),
        ``dark`` (all charge that is not light), ``total`` (all of it at once).
    """
    s, shape = exposure.sources._replace(**changes), exposure.camera.shape
    ny = shape[0]
    light = ("light", "scales light")
    parts = {"sky": expected_terms(s._replace(stars=None, star_image=None), 0, ny, light),
             "stars": expected_terms(s._replace(sky=0.0), 0, ny, light),
             "dark": expected_terms(s, 0, ny, ("charge",)),
             "total": expected_electrons(s, 0, ny)}
    return {name: _whole(part, shape) for name, part in parts.items()}


def expected_components(exposure):
    """The expected (noise-free) parts of a frame, in ADU, from the engine.

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        The frame's exposure (``frame.exposure``).

    Returns
    -------
    dict of name -> float32 ndarray
        ``bias``, ``dark``, ``sky``, ``stars``, ``cosmic rays`` (the data
        section, without overscan).
    """
    cam = exposure.camera
    ny, nx = cam.shape
    gain = np.float64(cam.gain)
    electrons = expected_parts(exposure)
    bias = cam.bias_rows(0, ny)[:, :nx].astype(np.float32)
    if exposure.bias_offset:
        bias += np.float32(exposure.bias_offset)
    hits = np.zeros(cam.shape, dtype=np.float32)
    if exposure.cosmics is not None and len(exposure.cosmics):
        # Whole electrons, after the Poisson draw, not scaled by the flat.
        hits = (np.rint(render_cosmic_rays(cam.shape, exposure.cosmics)) / gain).astype(
            np.float32)
    return {"bias": bias,
            "dark": (electrons["dark"] / gain).astype(np.float32),
            "sky": (electrons["sky"] / gain).astype(np.float32),
            "stars": (electrons["stars"] / gain).astype(np.float32),
            "cosmic rays": hits}


def decompose(frame, *legacy, star_sigma=None):
    """Each source of counts of ``frame`` alone, and the noise that is left.

    Parameters
    ----------
    frame : ccdsim.Frame
        A frame made by ccdsim: it knows its camera, exposure time, sky and
        stars (``frame.exposure``).
    *legacy
        The older call ``decompose(camera, frame, exposure_time, sky)`` is
        still accepted; its values must match what made the frame.
    star_sigma : float, optional
        Only with the older call: the stars' Gaussian sigma (px).

    Returns
    -------
    dict of name -> float32 ndarray, in ADU
        `COMPONENTS` in order, on the data section; their sum is the data
        section of ``frame.data`` (to float32 rounding).

    Raises
    ------
    ccdsim.ParameterError
        A frame that does not know what made it, or legacy values that
        differ from the frame's own.
    """
    if legacy:
        camera, frame, exposure_time, sky = (frame, *legacy)
    if getattr(frame, "exposure", None) is None:
        raise ParameterError("frame must be a Frame made by ccdsim here (it knows its camera "
                             "and exposure); a frame read from a file does not")
    exp = frame.exposure
    if legacy:
        given = (camera, float(exposure_time), float(np.mean(sky)), star_sigma)
        own = (exp.camera, exp.exposure_time, float(np.mean(exp.sky)), given[3] and
               exp.settings.get("star_sigma"))
        if given != own:
            raise ParameterError("decompose(camera, frame, exposure_time, sky) was given "
                                 "values other than those that made the frame; call "
                                 "decompose(frame)")
    parts = expected_components(exp)
    noise = frame.data[exp.camera.geometry.amplifier.data.slices].astype(np.float32)
    for image in parts.values():
        noise -= image
    parts["noise"] = noise
    return parts

"""A frame taken apart: each source of counts alone, as in the guide's step-by-step pictures.

``frame = bias + dark + sky + stars + cosmic rays + noise``, in ADU. The
first five are what the camera expects (the truth: its bias map, its dark map
x t / gain, the sky and the stars of the truth table times the flat field,
the charge of the frame's cosmic-ray tracks); ``noise`` is what is left, the
frame's randomness (shot noise of every electron, read noise, ADC rounding).
The flat field (`ccdsim.Camera.flat_map`) is no term of the sum: it
multiplies the light (sky and stars), never bias, dark current or cosmic rays.
"""

import numpy as np

from ..core.params import DEFAULTS as D
from ..core.validate import ParameterError
from ..physics.cosmics import render_cosmic_rays
from ..physics.stars import render_stars

__all__ = ["COMPONENTS", "expected_components", "decompose"]

#: Names of the parts, in the camera's order of events; ``noise`` comes last.
COMPONENTS = ("bias", "dark", "sky", "stars", "cosmic rays", "noise")


def expected_components(camera, exposure_time, sky, truth=None, *, star_sigma=D.star_sigma,
                        moffat=None, cosmics=None):
    """The expected (noise-free) parts of a frame, in ADU.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its bias map (ADU), dark map (e-/pixel/s), flat map (dimensionless)
        and gain (e-/ADU).
    exposure_time : float
        s.
    sky : float or ndarray
        ADU per pixel over the exposure, before the flat field.
    truth : astropy.table.Table, optional
        The frame's star table (``Frame.truth``).
    star_sigma : float, optional
        Gaussian sigma (px) for stars without a ``sigma`` column.
    moffat : tuple of float, optional
        ``(fwhm, beta)`` of Moffat stars (see `ccdsim.render_stars`).
    cosmics : astropy.table.Table, optional
        The frame's cosmic rays (``Frame.cosmics``).

    Returns
    -------
    dict of name -> float32 ndarray
        ``bias``, ``dark``, ``sky``, ``stars``, ``cosmic rays`` (the data
        section, without overscan). Sky and stars are times the flat field,
        as they reach the pixels.
    """
    shape = camera.shape
    stars = np.zeros(shape, dtype=np.float32)
    if truth is not None and len(truth):
        render_stars(shape, truth, sigma=star_sigma, moffat=moffat, out=stars)
    sky_map = np.full(shape, sky, dtype=np.float32)
    if camera.has_flat:
        sky_map *= camera.flat_map
        stars *= camera.flat_map
    hits = np.zeros(shape, dtype=np.float32)
    if cosmics is not None and len(cosmics):
        # The camera adds whole electrons, after the Poisson draw, not scaled by the flat.
        hits = (np.rint(render_cosmic_rays(shape, cosmics)) / np.float32(camera.gain)).astype(
            np.float32)
    return {
        "bias": camera.bias_map,
        "dark": (camera.dark_map * np.float32(exposure_time / camera.gain)).astype(np.float32),
        "sky": sky_map,
        "stars": stars,
        "cosmic rays": hits,
    }


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
    settings = exp.settings
    moffat = ((settings["moffat_fwhm"], settings["moffat_beta"])
              if settings.get("moffat_fwhm") else None)
    parts = expected_components(exp.camera, exp.exposure_time, exp.sky, frame.truth,
                                star_sigma=settings.get("star_sigma") or D.star_sigma,
                                moffat=moffat, cosmics=frame.cosmics)
    noise = frame.data[exp.camera.geometry.amplifier.data.slices].astype(np.float32)
    for image in parts.values():
        noise -= image
    parts["noise"] = noise
    return parts

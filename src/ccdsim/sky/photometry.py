"""How bright the sky and its stars are on the chip: magnitudes to electrons.

- `star_fluxes`: magnitudes -> e- over the exposure: ``zero_point`` e-/s
  for a star of magnitude 0, dimmed by ``extinction`` mag per airmass;
- `sky_level`: sky brightness (mag/arcsec^2) -> ADU per pixel over the
  exposure, through the same zero point and extinction;
- `optics_cards`: the pixel scale, zero point, extinction and seeing as
  header truth.
"""

import numpy as np

from ..core.params import PARAMS

__all__ = ["optics_cards", "star_fluxes", "sky_level", "FWHM_PER_SIGMA"]

#: A Gaussian's FWHM over its sigma, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def optics_cards(pixel_scale, rotation, zero_point, extinction, seeing=None):
    """Header cards of the optics and the photometric truth, keyed as the parameter table says.

    Parameters
    ----------
    pixel_scale, rotation, zero_point, extinction : float
        arcsec/pixel, degrees, e-/s of a magnitude-0 star, mag/airmass.
    seeing : float, optional
        FWHM in arcsec.

    Returns
    -------
    dict
        ``{keyword: (value, comment)}``.
    """
    values = {"pixel_scale": pixel_scale, "rotation": rotation, "zero_point": zero_point,
              "extinction": extinction, "seeing": seeing}
    return {PARAMS[n].fits: (v, PARAMS[n].fits_comment) for n, v in values.items()
            if v is not None}


def star_fluxes(mag, exposure_time, zero_point, extinction=0.0, airmass=1.0):
    """Electrons a star collects over an exposure.

    Parameters
    ----------
    mag : float or ndarray
        Magnitudes above the atmosphere.
    exposure_time : float
        In seconds.
    zero_point : float
        e-/s of a magnitude-0 star above the atmosphere (telescope, filter and
        detector together).
    extinction : float, optional
        In magnitudes per airmass.
    airmass : float, optional
        The frame's airmass.

    Returns
    -------
    ndarray
        e- over the exposure.
    """
    return zero_point * exposure_time * 10.0 ** (-0.4 * (np.asarray(mag, float)
                                                         + extinction * airmass))


def sky_level(brightness, pixel_scale, exposure_time, zero_point, gain, extinction=0.0,
              airmass=1.0):
    """Sky per pixel over an exposure, in ADU, from its surface brightness.

    Parameters
    ----------
    brightness : float
        Sky surface brightness, mag/arcsec^2 (as seen, at the frame's airmass).
    pixel_scale : float
        arcsec per pixel.
    exposure_time : float
        In seconds.
    zero_point : float
        e-/s of a magnitude-0 source.
    gain : float
        e-/ADU.
    extinction, airmass : float, optional
        Unused for the sky's own glow (it is where the air is); kept for
        symmetry with `star_fluxes` and ignored.

    Returns
    -------
    float
    """
    del extinction, airmass  # the sky shines from inside the atmosphere
    return float(zero_point * 10.0 ** (-0.4 * brightness) * pixel_scale ** 2
                 * exposure_time / gain)

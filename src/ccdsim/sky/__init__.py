"""The sky as it is: where a frame points (`astrometry`), how bright its light is
(`photometry`) and which stars it sees (`catalogs`).

Pure functions, in the physics order of a science frame's light; the light
then goes through the camera (`ccdsim.readout`). The names of the former
``ccdsim.sky`` module are importable from here.
"""

from ..core.lazy import lazy_exports

_EXPORTS = {**dict.fromkeys(("frame_wcs", "airmass_at", "pointing_cards", "offset_pointing"),
                            ".astrometry"),
            **dict.fromkeys(("optics_cards", "star_fluxes", "sky_level", "FWHM_PER_SIGMA"),
                            ".photometry"),
            **dict.fromkeys(("per_filter", "PER_FILTER"), ".filters"),
            **dict.fromkeys(("synthetic_catalog", "frame_stars", "mag_column",
                             "target_catalog"), ".catalogs")}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

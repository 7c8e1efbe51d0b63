"""Named cameras: the guide's defects and what a night's camera adds.

A light module (no third-party imports), so the command line can show these
defaults without loading numpy.
"""

from .params import PARAMS

__all__ = ["GUIDE_BAD_COLUMNS", "GUIDE_HOT_PIXEL_FRACTION", "NIGHT_CAMERA"]

#: The guide's bias has 5 bad columns.
GUIDE_BAD_COLUMNS = PARAMS["bad_columns"].default
#: The guide makes 0.01% of the pixels hot.
GUIDE_HOT_PIXEL_FRACTION = PARAMS["hot_pixel_fraction"].default

#: What a night's camera has on top of the guide's camera (the ``image``
#: command leaves these off to keep the guide's picture): Camera keywords.
NIGHT_CAMERA = dict(vignetting=0.1, dust_spots=10, prnu=0.01, full_well=60000.0, overscan=50,
                    cosmic_ray_rate=0.03)

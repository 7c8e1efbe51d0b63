"""Named cameras: the guide's defects and what a night's camera adds.

A light module (no third-party imports), so the command line can show these
defaults without loading numpy.
"""

from .params import PARAMS

__all__ = ["GUIDE_BAD_COLUMNS", "GUIDE_HOT_PIXEL_FRACTION", "NIGHT_CAMERA", "CAMERAS",
           "camera_parameters"]

#: The guide's bias has 5 bad columns.
GUIDE_BAD_COLUMNS = PARAMS["bad_columns"].default
#: The guide makes 0.01% of the pixels hot.
GUIDE_HOT_PIXEL_FRACTION = PARAMS["hot_pixel_fraction"].default

#: What a night's camera has on top of the guide's camera (the ``image``
#: command leaves these off to keep the guide's picture): Camera keywords.
NIGHT_CAMERA = dict(vignetting=0.1, dust_spots=10, prnu=0.01, full_well=60000.0, overscan=50,
                    cosmic_ray_rate=0.03)

#: Named cameras (``--camera NAME``): what each sets beyond the table's defaults.
CAMERAS = {
    "guide": {},  # the guide's idealised camera: `ccdsim image`'s default
    "night": NIGHT_CAMERA,  # `ccdsim night`'s default
}


def camera_parameters(name):
    """Every camera parameter of the named camera (``Camera(**camera_parameters(name))``).

    Parameters
    ----------
    name : str
        A key of `CAMERAS`.

    Returns
    -------
    dict
        ``{parameter: value}`` for every camera parameter of the table.

    Raises
    ------
    ccdsim.ParameterError
        An unknown name (the message lists the known ones).
    """
    from .params import CAMERA_PARAMS
    from .validate import ParameterError

    if name not in CAMERAS:
        raise ParameterError(f"camera must be one of {', '.join(CAMERAS)} (got {name!r})",
                             param="camera")
    return {**{n: PARAMS[n].default for n in CAMERA_PARAMS}, **CAMERAS[name]}

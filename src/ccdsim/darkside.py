"""Charge that is not light: amplifier glow and a population of hot pixels.

`dark_charge` is the hook of step 1 of the read-out (`ccdsim.readout`): the
expected electrons of a camera's glow and hot-pixel population over one
exposure, beside the guide's uniform dark current and hot pixels. Off by
default (None: no such charge).
"""

__all__ = ["truth_files", "dark_charge"]


def dark_charge(camera, exposure_time):
    """Expected electrons of glow and hot-pixel population over an exposure.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.
    exposure_time : float
        In seconds.

    Returns
    -------
    ndarray or None
        ``(ny, nx)`` e- of the data section; None when the camera has none.
    """
    return None


def truth_files(plan):
    """The truth this effect writes for a night: ``{file name: function}``.

    Each function returns ``(data, BUNIT, comment)`` for a map, or an
    `~astropy.table.Table`; it is called only when the truth is written.

    Parameters
    ----------
    plan : ccdsim.NightPlan
        The night (its camera).

    Returns
    -------
    dict
    """
    return {}

"""The shutter: each pixel's own exposure time, as an iris or a blade opens and closes.

`light_scale` is the hook of step 1 of the read-out (`ccdsim.readout`): each
pixel's light relative to the nominal exposure. Off by default (None: an
ideal shutter).
"""

__all__ = ["truth_files", "light_scale"]


def light_scale(camera, exposure_time):
    """Each pixel's light relative to a nominal exposure of ``exposure_time``.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera (its shutter's parameters).
    exposure_time : float
        Nominal exposure, in seconds.

    Returns
    -------
    ndarray or None
        ``(ny, nx)``, dimensionless; None for an ideal shutter.
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

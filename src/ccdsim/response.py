"""The output amplifier's response: step 3b of the read-out, between the full well and the read noise.

A real amplifier's output is not exactly proportional to the charge: near
the top of its range it gives a little less. `respond` applies the camera's
response curve to the electrons of a block; with a linear camera (the
default) it returns them untouched, so the pixels are those of a linear
read-out bit for bit.
"""

__all__ = ["truth_files", "respond"]


def respond(electrons, camera):
    """Electrons as the amplifier reports them (the camera's response curve).

    Parameters
    ----------
    electrons : ndarray
        Charge of a block of pixels, in e- (whole electrons).
    camera : ccdsim.Camera
        Its response parameters (none yet: linear).

    Returns
    -------
    ndarray
        ``electrons`` itself for a linear camera, else the reported charge
        in e- (float64).
    """
    return electrons


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

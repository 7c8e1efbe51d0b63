"""The bias as real cameras have it: a level that moves from frame to frame.

`frame_bias_offset` is the hook of step 6 of the read-out
(`ccdsim.readout`): one frame's bias level relative to the camera's bias map,
shared by image and overscan. Off by default (0 ADU: the bias map alone).
"""

__all__ = ["truth_files", "frame_bias_offset"]


def frame_bias_offset(camera, seed_seq, clock):
    """One frame's bias offset.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera (its drift and jitter).
    seed_seq : numpy.random.SeedSequence
        The frame's seed (jitter is per frame, from its own stream).
    clock : float
        Seconds since the start of the night.

    Returns
    -------
    float
        In ADU.
    """
    return 0.0


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

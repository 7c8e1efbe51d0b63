"""Persistence: the law of the after-image of pixels that were over the full well.

A fraction ``persistence`` of the expected electrons over the full well is
trapped and released with the e-folding time ``persistence_time`` (s);
`ccdsim.plans.afterimages` sums it over a night's earlier frames.
"""


__all__ = ["has_persistence"]


def has_persistence(camera):
    """True if the camera leaks charge into later frames (``persistence > 0`` and a full well).

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    bool
    """
    return camera.persistence > 0 and camera.full_well is not None

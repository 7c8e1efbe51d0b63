"""A camera's traps, as the read-out clocks each amplifier's segment through them.

The camera lists its trap species as parallel lists (``cti_parallel_density``
with ``cti_parallel_release``, the same for serial; one entry per species)
and one well-fill model (``cti_well_depth``, ``cti_well_notch``,
``cti_well_power``) for both directions. `clock_out` is step 3's charge
transfer for one segment (`ccdsim.physics.transfer.cti.add_cti`); its truth
is the traps (``truth/cti.fits``) and each frame's map of the charge moved
(its ``CTI`` extension).
"""

from .cti import TrapSpecies, WellFill, add_cti, trap_table

__all__ = ["TRAP_PARAMS", "camera_traps", "has_cti", "read_chain", "clock_out", "truth_files"]

#: Each direction's trap parameters: ``(density, release time)``, one entry per species.
TRAP_PARAMS = {"parallel": ("cti_parallel_density", "cti_parallel_release"),
               "serial": ("cti_serial_density", "cti_serial_release")}


def camera_traps(camera):
    """A camera's trap species and well fill, as `add_cti` takes them.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its ``cti_*`` parameters.

    Returns
    -------
    dict
        ``parallel`` and ``serial`` (lists of `TrapSpecies`, species of
        density 0 left out) and ``well`` (`WellFill`).
    """
    traps = {way: [TrapSpecies(d, r) for d, r in zip(getattr(camera, density),
                                                       getattr(camera, release)) if d > 0]
             for way, (density, release) in TRAP_PARAMS.items()}
    return {**traps, "well": WellFill(camera.cti_well_depth, camera.cti_well_notch,
                                      camera.cti_well_power)}


def has_cti(camera):
    """True if the camera has traps in either direction.

    Parameters
    ----------
    camera : ccdsim.Camera

    Returns
    -------
    bool
    """
    traps = camera_traps(camera)
    return bool(traps["parallel"] or traps["serial"])


def read_chain(camera):
    """The read-out chain's parameters, each with whether it is on and its value when off.

    A camera with any of them on is read amplifier by amplifier
    (`ccdsim.readout.segments`); a CMOS sensor and a binned read-out have none.

    Parameters
    ----------
    camera : ccdsim.Camera

    Returns
    -------
    tuple of (str, bool, str)
        ``(parameter, on, off)``: amplifiers, prescan, crosstalk, each
        direction's traps, brighter-fatter.
    """
    traps = camera_traps(camera)
    return (("amplifiers", camera.amplifiers > 1, "1"), ("prescan", camera.prescan > 0, "0"),
            ("crosstalk", any(camera.crosstalk), "empty"),
            ("cti_parallel_density", bool(traps["parallel"]), "empty"),
            ("cti_serial_density", bool(traps["serial"]), "empty"),
            ("brighter_fatter", camera.brighter_fatter > 0, "0"))


def clock_out(segment, camera, threads=None, out=None):
    """Step 3's charge transfer of one amplifier's segment: parallel, then serial CTI.

    Parameters
    ----------
    segment : ndarray of float64
        The segment's electrons in read-out order (`ccdsim.readout.segments.read_order`),
        prescan and overscans included (they collect the trails).
    camera : ccdsim.Camera
        Its traps (`camera_traps`).
    threads : int, optional
        Worker threads; never changes the result.
    out : ndarray of float64, optional
        Where the result goes (`ccdsim.physics.transfer.cti.add_cti`); ``segment``
        itself clocks it in place.

    Returns
    -------
    ndarray of float64
        The segment as it reaches the output (e-).
    """
    return add_cti(segment, **camera_traps(camera), threads=threads, out=out)


def truth_files(camera):
    """The truth this effect writes for a night: ``{file name: function}``.

    ``cti.fits`` (a camera with traps): one row per trap species and
    direction (`ccdsim.physics.transfer.cti.trap_table`).

    Parameters
    ----------
    camera : ccdsim.Camera

    Returns
    -------
    dict
    """
    if not has_cti(camera):
        return {}
    return {"cti.fits": lambda: trap_table(**camera_traps(camera))}

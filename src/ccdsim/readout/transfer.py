"""Which cameras are read by segments, and their transfer settings checked.

The camera lists trap species as parallel lists (``cti_parallel_density``
and ``cti_parallel_release``, one entry per species; the same for serial);
`check_transfer` refuses lists that do not pair up, naming the parameter.
"""

from ..core.validate import ParameterError
from ..physics.transfer.brighterfatter import check_strength
from ..physics.transfer.clocking import TRAP_PARAMS, read_chain

__all__ = ["MAX_TRAP_SPECIES", "check_transfer", "segmented"]

#: Most trap species per direction (ArCTIc's published models use 1 to 4).
MAX_TRAP_SPECIES = 16



def check_transfer(camera):
    """Refuse trap lists that do not pair up, a notch at or above the well depth, or a
    brighter-fatter strength that could empty a pixel below zero.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its ``cti_*`` parameters.

    Raises
    ------
    ccdsim.ParameterError
    """
    for density, release in TRAP_PARAMS.values():
        d, r = getattr(camera, density), getattr(camera, release)
        if len(d) != len(r):
            raise ParameterError(f"{release} must give one release time per trap species of "
                                 f"{density} ({len(d)}, got {len(r)})", param=release)
        if len(d) > MAX_TRAP_SPECIES:
            raise ParameterError(f"{density} must list at most {MAX_TRAP_SPECIES} trap species "
                                 f"(got {len(d)})", param=density)
    check_strength(camera)
    if camera.cti_well_notch >= camera.cti_well_depth:
        raise ParameterError(f"cti_well_notch must be below cti_well_depth "
                             f"({camera.cti_well_depth:g} e-, got {camera.cti_well_notch:g})",
                             param="cti_well_notch")


def segmented(camera):
    """True if the camera's frames are read amplifier by amplifier (`ccdsim.readout.segments`).

    So they are with several amplifiers, a prescan, crosstalk, CTI or
    brighter-fatter; every other camera keeps the one-amplifier read-out
    and its pixels.

    Parameters
    ----------
    camera : ccdsim.Camera

    Returns
    -------
    bool
    """
    return any(on for _, on, _ in read_chain(camera))

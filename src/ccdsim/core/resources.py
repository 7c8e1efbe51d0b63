"""Up-front checks of what a run needs from the machine."""

import os

from .params import PARAMS
from .validate import ParameterError

__all__ = ["available_memory", "frame_memory", "check_memory", "check_camera_memory",
           "check_frame_memory", "check_star_count", "STAR_BYTES", "MAX_STARS"]

#: Bytes one star of a table costs while a frame is made (its columns and the work
#: of drawing, rotating and rendering it), counted in every memory check.
STAR_BYTES = 256
#: Most stars one catalogue or field may hold: the ``stars`` parameter's bound.
MAX_STARS = PARAMS["stars"].high


def available_memory():
    """Bytes of memory available to a new allocation.

    The machine's (MemAvailable, else free pages), and no more than this
    process may still map under its address-space limit (``ulimit -v``).
    """
    have = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    have = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if have is None:
        have = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return min(have, _address_space_left())


def _address_space_left():
    """Bytes this process may still map under RLIMIT_AS (unlimited: a very large number)."""
    import resource

    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit == resource.RLIM_INFINITY:
        return 1 << 62
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return max(0, limit - int(line.split()[1]) * 1024)
    except OSError:
        pass
    return limit


def frame_memory(shape, bytes_per_pixel=2, extra_per_pixel=0, extra_bytes=0):
    """Bytes one frame needs while it is made.

    The output (``bytes_per_pixel``), its data-quality mask (1 byte), room
    for the PNG preview's block means and a float32 flat map (8), plus the
    working blocks; ``extra_per_pixel`` adds what a run holds besides.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the read-out frame, in pixels.
    bytes_per_pixel : int, optional
        Of the output: 2 for uint16, 4 for float32.
    extra_per_pixel : int, optional
        More bytes per pixel the run holds at once.
    extra_bytes : int, optional
        More bytes the run holds, whatever the frame size (star tables).

    Returns
    -------
    int
        Bytes.
    """
    npix = int(shape[0]) * int(shape[1])
    return npix * (bytes_per_pixel + 1 + 8 + extra_per_pixel) + 64 * 2**20 + int(extra_bytes)


def check_memory(shape, bytes_per_pixel=2, extra_per_pixel=0, extra_bytes=0):
    """Refuse a frame that would not fit in the memory available now.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the read-out frame, in pixels.
    bytes_per_pixel : int, optional
        Of the output: 2 for uint16, 4 for float32.
    extra_per_pixel : int, optional
        More bytes per pixel the run holds at once (see `frame_memory`).
    extra_bytes : int, optional
        More bytes, whatever the frame size (see `frame_memory`).

    Raises
    ------
    ccdsim.ParameterError
        With the memory needed and the memory available.
    """
    need = frame_memory(shape, bytes_per_pixel, extra_per_pixel, extra_bytes)
    have = available_memory()
    if need > have:
        raise ParameterError(f"shape {shape[0]}x{shape[1]} needs about {need / 2**30:.1f} GiB "
                             f"of memory, only {have / 2**30:.1f} GiB available")


def check_camera_memory(camera, quantize=True, *, extra_per_pixel=0, extra_bytes=0):
    """Refuse a camera whose whole frames would not fit in the memory available now.

    Besides the frame: when charge may move across blocks (cosmic rays, a
    full well), the copy of the electrons `ccdsim.readout.moving` keeps (2 bytes
    a pixel, 8 in blocks where a pixel holds more than 65535 e-: counted at 8);
    a camera read by segments holds whole arrays of its steps (40 bytes a pixel);
    a binned camera reads its detector at full resolution first (9 bytes a pixel more).

    Parameters
    ----------
    camera : ccdsim.Camera
        Its read-out shape, cosmic rays and full well.
    quantize : bool, optional
        uint16 frames (2 bytes a pixel) or float32 (4).
    extra_per_pixel : int, optional
        More bytes per pixel the caller holds at once (a night's truth maps).
    extra_bytes : int, optional
        More bytes, whatever the frame size (star and cosmic-ray tables).

    Raises
    ------
    ccdsim.ParameterError
    """
    moves = camera.cosmic_ray_rate > 0 or camera.full_well is not None
    # Read by segments: the detector's electrons, their segments, the charge CTI
    # moved, brighter-fatter's and crosstalk's new arrays (measured: 34 bytes a
    # pixel over the frame for the 16-amplifier sensor, its maps included).
    by_segment = 40 if getattr(camera, "reads_by_segment", False) else 0
    shape = camera.readout_shape
    if getattr(camera, "xbinning", 1) * getattr(camera, "ybinning", 1) > 1:
        # read at full resolution, then binned: its electrons or frame, and DQ bits
        shape, by_segment = camera.shape, by_segment + 9
    check_memory(shape, 2 if quantize else 4,
                 extra_per_pixel + (8 if moves else 0) + by_segment, extra_bytes)


def check_frame_memory(exposure, extra_per_pixel=0):
    """Refuse an exposure whose whole frame would not fit in the memory available now.

    See `check_camera_memory`; the star and cosmic-ray tables count too.

    Parameters
    ----------
    exposure : ccdsim.camera.Exposure
        From `ccdsim.Camera.prepare`.
    extra_per_pixel : int, optional
        More bytes per pixel the caller holds at once.

    Raises
    ------
    ccdsim.ParameterError
    """
    # The star and cosmic-ray tables, and the work of rendering them.
    n = len(exposure.truth or ()) + len(exposure.cosmics or ())
    check_camera_memory(exposure.camera, exposure.quantize, extra_per_pixel=extra_per_pixel,
                        extra_bytes=STAR_BYTES * n)


def check_star_count(expected, what, param):
    """Refuse, before drawing, a star field that would be too large or not fit in memory.

    Parameters
    ----------
    expected : float
        Stars the field is expected to hold.
    what : str
        How the count came about, for the message ("2000 stars/deg^2 over 3.2 deg^2").
    param : str
        The parameter the refusal names (the one a user most likely mistyped).

    Raises
    ------
    ccdsim.ParameterError
    """
    # The count is Poisson: 6 sigma over the mean is never reached by chance.
    high = expected + 6.0 * expected ** 0.5 + 6.0
    if not expected <= MAX_STARS:
        raise ParameterError(f"{param}: {what} expects {expected:.3g} stars; at most "
                             f"{MAX_STARS:.0e} a field", param=param)
    need, have = STAR_BYTES * high, available_memory()
    if need > have:
        raise ParameterError(f"{param}: {what} expects {expected:.3g} stars, which need about "
                             f"{need / 2**30:.1f} GiB of memory, only {have / 2**30:.1f} GiB "
                             f"available", param=param)

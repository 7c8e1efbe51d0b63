"""The amplifiers of the pixels being read out: where each one's are, its read noise and gain.

The compiled read-out (`ccdsim.readout.digitize`) takes a small table of
amplifiers for each block: the region of the block each reads (from the
camera's `~ccdsim.core.geometry.ReadoutGeometry`) and its values (the
camera's ``amplifier_values``, an `AmplifierValues`). With one amplifier
the table has one row that covers the block, and every pixel is read as
before, bit for bit.
"""

from typing import NamedTuple

import numpy as np

from ..core.geometry import amplifier_layout
from ..core.validate import ParameterError

__all__ = ["AmplifierValues", "Amplifiers", "amplifier_table", "data_rows", "check_amplifiers",
           "PER_AMPLIFIER"]

#: Each amplifier's own value of a camera parameter: ``{list parameter: the camera's}``.
PER_AMPLIFIER = {"amplifier_gain": "gain", "amplifier_read_noise": "read_noise",
                 "amplifier_bias_level": "bias_level"}


class AmplifierValues(NamedTuple):
    """What each amplifier of a geometry reads with, in its order (float64 arrays).

    Parameters
    ----------
    gain : ndarray
        e-/ADU.
    read_noise : ndarray
        e- (Gaussian sigma).
    bias_level : ndarray
        ADU.
    """

    gain: np.ndarray
    read_noise: np.ndarray
    bias_level: np.ndarray

    @classmethod
    def uniform(cls, geometry, gain, read_noise, bias_level):
        """Every amplifier of ``geometry`` with the same gain, read noise and bias level.

        Parameters
        ----------
        geometry : ccdsim.core.geometry.ReadoutGeometry
            Whose amplifiers.
        gain, read_noise, bias_level : float
            In e-/ADU, e- and ADU.

        Returns
        -------
        AmplifierValues
        """
        n = len(geometry.amplifiers)
        return cls(*(np.full(n, v, dtype=np.float64) for v in (gain, read_noise, bias_level)))

    @classmethod
    def of_camera(cls, camera):
        """A camera's: each amplifier's own values where it lists them, else the camera's.

        Parameters
        ----------
        camera : ccdsim.Camera
            Its ``geometry``, ``gain``, ``read_noise``, ``bias_level`` and
            ``amplifier_gain``, ``amplifier_read_noise``, ``amplifier_bias_level``.

        Returns
        -------
        AmplifierValues
        """
        n = len(camera.geometry.amplifiers)
        return cls(*(np.asarray(getattr(camera, own) or (getattr(camera, shared),) * n,
                                dtype=np.float64) for own, shared in PER_AMPLIFIER.items()))


def check_amplifiers(camera):
    """Refuse amplifier settings that do not fit the camera, naming the parameter.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its ``amplifiers``, ``shape``, per-amplifier lists and ``crosstalk``.

    Raises
    ------
    ccdsim.ParameterError
    """
    n = camera.amplifiers
    try:
        rows, columns = amplifier_layout(n)
    except ValueError as e:
        raise ParameterError(str(e), param="amplifiers") from None
    ny, nx = camera.shape
    if ny % rows or nx % columns:
        raise ParameterError(f"amplifiers: {rows}x{columns} amplifiers cannot share {ny}x{nx} "
                             f"pixels equally (shape must divide by {rows} rows and {columns} "
                             f"columns)", param="amplifiers")
    for name in PER_AMPLIFIER:
        given = len(getattr(camera, name))
        if given not in (0, n):
            raise ParameterError(f"{name} must give one value per amplifier ({n}) or none "
                                 f"(got {given})", param=name)
    given = len(camera.crosstalk)
    if given not in (0, 1, n * n) or (n == 1 and given):
        raise ParameterError(f"crosstalk must give one coefficient or {n}x{n} = {n * n} "
                             f"(victim by row, source by column) for {n} amplifiers, or none "
                             f"(got {given})" if n > 1 else
                             "crosstalk needs 2 or more amplifiers", param="crosstalk")
    if given == n * n and any(camera.crosstalk[k * (n + 1)] for k in range(n)):
        raise ParameterError("crosstalk: an amplifier's coefficient on itself (the diagonal) "
                             "must be 0", param="crosstalk")


class Amplifiers(NamedTuple):
    """The amplifiers of some pixels, as `digitize` takes them.

    Parameters
    ----------
    regions : ndarray of int64
        ``(n, 4)``: each amplifier's rows ``i0:i1`` and columns ``j0:j1`` among
        the pixels (`ccdsim.core.geometry.ReadoutGeometry.regions`).
    read_noise : ndarray of float64
        ``(n,)``: each one's read noise, in e-.
    gain : ndarray of float64
        ``(n,)``: each one's gain, in e-/ADU.
    """

    regions: np.ndarray
    read_noise: np.ndarray
    gain: np.ndarray


def amplifier_table(camera, rows, columns=None):
    """The amplifiers reading some rows (and columns) of the frame, with their read noise and gain.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its ``geometry`` and ``amplifier_values``.
    rows : slice
        Rows of the frame as read out.
    columns : ndarray of int, optional
        Sorted columns of the frame; default: all.

    Returns
    -------
    Amplifiers
    """
    index, regions = camera.geometry.regions(rows, columns)
    values = camera.amplifier_values
    return Amplifiers(regions, values.read_noise[index], values.gain[index])


def data_rows(camera, r0, r1):
    """The frame rows that hold rows ``r0:r1`` of the data section (one amplifier's frame).

    Parameters
    ----------
    camera : ccdsim.Camera
        Its ``geometry``.
    r0, r1 : int
        First and one-past-last row of the data section.

    Returns
    -------
    slice
    """
    y0 = camera.geometry.amplifier.data.y0
    return slice(y0 + r0, y0 + r1)

"""The read-out's CTI trails taken out of an image of the detector.

Each amplifier's part of the detector is put in the order it is read
(`ccdsim.twin.chain.readorder.read_orders`: row 0 read first, column 0
first in each row, after the pixels read before its data, which hold no
charge), as the read-out clocks
its segment (`ccdsim.physics.transfer.clocking`: parallel, then serial,
`ccdsim.physics.transfer.cti.add_cti`). The charge ``x`` the read-out
started from is found from what it read, ``y``, by the fixed point of
ArCTIc's CTI removal (Massey et al. 2014), from ``x = y``::

    x <- x + (y - add_cti(x))

Each round leaves the last one's error times the share the traps move
(a few percent of a hot pixel here), so the error falls geometrically and
the rounds stop when the largest change of a pixel is below
`ccdsim.twin.maps.UNDO_TOLERANCE`
(e-), far below any frame's noise. Charge trailed past the data, into the
overscans, is not in the image; a pixel's own is all that comes back.

CTI is not linear: an image that is a mean of frames (a combined dark) is
taken as one frame of its mean charge. Its read noise is in ``y`` but not
in what the traps met, so it is clocked as charge (a negative pixel fills
no trap, as in the read-out).
"""

from typing import NamedTuple

import numpy as np

from ...physics.transfer.cti import TrapSpecies, WellFill, add_cti
from ..maps import UNDO_TOLERANCE, undo

__all__ = ["ROUNDS", "Untrailed", "traps_of", "untrail"]

#: Most rounds.
ROUNDS = 12


class Untrailed(NamedTuple):
    """What `untrail` returns.

    Attributes
    ----------
    image : numpy.ndarray
        The image without its trails, in the input's units (float64).
    rounds : int
        Rounds run (the most of any amplifier).
    change : float
        The largest change of a pixel in the last round (e-).
    """

    image: np.ndarray
    rounds: int
    change: float


def traps_of(params):
    """Trap species and well fill from camera-file parameters, as `add_cti` takes them.

    Parameters
    ----------
    params : dict
        ``cti_parallel_density``, ``cti_parallel_release``, ``cti_serial_density``,
        ``cti_serial_release`` (traps/pixel, transfers; one entry per species),
        ``cti_well_depth``, ``cti_well_notch`` (e-), ``cti_well_power``
        (`ccdsim.twin.chain.eper.CtiFit.params`).

    Returns
    -------
    dict
        ``parallel`` and ``serial`` (lists of `TrapSpecies`, density 0 left
        out), ``well`` (`WellFill`).
    """
    traps = {w: [TrapSpecies(float(d), float(r)) for d, r in
                 zip(params[f"cti_{w}_density"], params[f"cti_{w}_release"]) if d > 0]
             for w in ("parallel", "serial")}
    return {**traps, "well": WellFill(float(params["cti_well_depth"]),
                                      float(params["cti_well_notch"]),
                                      float(params["cti_well_power"]))}


def untrail(image, orders, gain, *, parallel=None, serial=None, well, tolerance=UNDO_TOLERANCE,
            rounds=ROUNDS, threads=None):
    """An image of the detector with the read-out's trails taken out (the module's).

    Parameters
    ----------
    image : numpy.ndarray
        The detector's charge as read (ADU above the bias), each amplifier's
        part at ``gain``.
    orders : list of ReadOrder
        Every amplifier's part (`ccdsim.twin.chain.readorder.read_orders`).
    gain : float
        e-/ADU of ``image``.
    parallel, serial : list of TrapSpecies, optional
        The traps each way (None or empty: none).
    well : WellFill
        How packets fill the pixels.
    tolerance : float, optional
        Rounds stop when no pixel changes by this much (e-).
    rounds : int, optional
        Most rounds.
    threads : int, optional
        Worker threads of `add_cti`; never changes the result.

    Returns
    -------
    Untrailed
        The image (ADU, float64), rounds run, the last round's largest change (e-).
    """
    y = np.asarray(image, dtype=np.float64) * gain
    out = y.copy()
    ran, change = 0, 0.0
    if not (parallel or serial):
        return Untrailed(out / gain, ran, change)
    for o in orders:
        part = y[o.region][::-1 if o.flip[0] else 1, ::-1 if o.flip[1] else 1]
        data = (slice(o.before[0], None), slice(o.before[1], None))
        x = np.zeros((o.before[0] + part.shape[0], o.before[1] + part.shape[1]))

        def clocked(d):  # nothing read before the data
            x[data] = d
            return add_cti(x, parallel=parallel, serial=serial, well=well, threads=threads)[data]

        d, n, last = undo(part, clocked, rounds, tolerance)
        ran, change = max(ran, n), max(change, last)
        out[o.region] = d[::-1 if o.flip[0] else 1, ::-1 if o.flip[1] else 1]
    return Untrailed(out / gain, ran, change)

"""Where each amplifier's pixels are in the order it reads them, from a frame's sections.

An amplifier reads towards a corner: the rows nearest it first, in each
row the pixels nearest it. Which corner a frame's cards say
(`reads_towards`): ``AMPSECA``'s flipped ranges; without it the side its
overscans lie on, away from the amplifier; without those the detector's
corner nearest its part. The crosstalk fit lines amplifiers up by it
(`ccdsim.twin.chain.crosstalk`); CTI is taken out in it
(`ccdsim.twin.chain.untrail`).
"""

from typing import NamedTuple

from ...core.geometry import fits_ranges

__all__ = ["ReadOrder", "card_ranges", "reads_towards", "read_orders"]


class ReadOrder(NamedTuple):
    """One amplifier's part of the detector, and how it is read.

    Attributes
    ----------
    region : tuple of slice
        ``(rows, columns)`` of the detector.
    flip : tuple of bool
        Rows, columns reversed from the detector's order into read order.
    before : tuple of int
        Rows and columns read before its data (its prescan columns; pixels).
    """

    region: tuple
    flip: tuple
    before: tuple


def card_ranges(header, key):
    """`ccdsim.core.geometry.fits_ranges` of a header's card; None without it, or not a section.

    Parameters
    ----------
    header : astropy.io.fits.Header or dict
    key : str
        The card (``BIASSECA``).

    Returns
    -------
    tuple or None
        ``(rows, columns, flip_rows, flip_columns)``.
    """
    try:
        return fits_ranges(header[key]) if key in header else None
    except ValueError:
        return None


def reads_towards(header, k, data, part=None, shape=None):
    """``(upper, right)``: the corner amplifier ``k`` reads towards (the module's text).

    Parameters
    ----------
    header : astropy.io.fits.Header or dict
        A frame's (``AMPSECA``, ``BIASSECA``, ``BIASSRA``, ...).
    k : str
        The amplifier's letter.
    data : tuple of tuple of int
        ``((y0, y1), (x0, x1))`` of its data in the frame.
    part, shape : tuple, optional
        ``((y0, y1), (x0, x1))`` of its data on the detector and the
        detector's ``(ny, nx)``: the last resort (lower left without them).

    Returns
    -------
    tuple of bool
    """
    amp = card_ranges(header, f"AMPSEC{k}")
    if amp is not None:
        return amp[2], amp[3]
    over, rows = card_ranges(header, f"BIASSEC{k}"), card_ranges(header, f"BIASSR{k}")
    if over is not None or rows is not None:  # overscans lie away from the amplifier
        return (rows is not None and rows[0][1] <= data[0][0],
                over is not None and over[1][1] <= data[1][0])
    if part is None or shape is None:
        return False, False
    return sum(part[0]) > shape[0], sum(part[1]) > shape[1]


def read_orders(header, places, shape):
    """Each amplifier's `ReadOrder` from a frame's sections.

    The corner each reads towards: `reads_towards`.

    Parameters
    ----------
    header : astropy.io.fits.Header
        A frame's (``DATASECA``, ``BIASSECA``, ``BIASSRA``, ``PRESECA``, ``AMPSECA``, ...).
    places : dict
        ``{letter: Placement}`` (`ccdsim.twin.amps.placements`).
    shape : tuple of int
        ``(ny, nx)`` of the detector.

    Returns
    -------
    list of ReadOrder
    """
    out = []
    for k, p in places.items():
        data = tuple((s.start, s.stop) for s in p.data)
        towards = reads_towards(header, k, data, (p.rows, p.columns), shape)
        parts = [data] + [s[:2] for s in (card_ranges(header, f"{c}{k}")
                                          for c in ("BIASSEC", "BIASSR", "PRESEC"))
                          if s is not None]
        seg = [(min(s[a][0] for s in parts), max(s[a][1] for s in parts)) for a in (0, 1)]
        before = tuple(seg[a][1] - data[a][1] if towards[a] else data[a][0] - seg[a][0]
                       for a in (0, 1))
        out.append(ReadOrder(p.region, tuple(bool(f) != bool(t) for f, t in
                                             zip(p.flip, towards)), before))
    return out

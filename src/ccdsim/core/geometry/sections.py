"""A rectangle of a frame (`Section`) and the FITS section strings that name one.

Positions are 0-based rows ``y`` and columns ``x`` of the frame as written
(row 0 is the bottom row in FITS); a `Section` gives them as numpy slices
and as FITS 1-based, inclusive, x-first section strings (``'[x1:x2,y1:y2]'``),
which `fits_ranges` reads, ranges running backwards included (an
amplifier's ``AMPSEC`` or ``DETSEC`` when it reads from the right or the top).
"""

import re
from dataclasses import dataclass

__all__ = ["Section", "fits_ranges"]

_FITS_SECTION = re.compile(r"\[\s*(\d+)\s*:\s*(\d+)\s*,\s*(\d+)\s*:\s*(\d+)\s*\]")


def fits_ranges(text):
    """The rows and columns a FITS section string names, and whether each runs backwards.

    Parameters
    ----------
    text : str
        ``'[x1:x2,y1:y2]'``, 1-based, inclusive; ``x2 < x1`` (``y2 < y1``)
        names the same columns (rows) read the other way.

    Returns
    -------
    rows, columns : tuple of int
        ``(first, one past last)``, 0-based.
    flip_rows, flip_columns : bool

    Raises
    ------
    ValueError
        Not a section, or one starting below 1.
    """
    m = _FITS_SECTION.fullmatch(str(text).strip())
    if m is None:
        raise ValueError(f"not a FITS section [x1:x2,y1:y2]: {text!r}")
    x1, x2, y1, y2 = map(int, m.groups())
    if min(x1, x2, y1, y2) < 1:
        raise ValueError(f"FITS section {text!r} starts below 1")
    return (min(y1, y2) - 1, max(y1, y2)), (min(x1, x2) - 1, max(x1, x2)), y2 < y1, x2 < x1


@dataclass(frozen=True)
class Section:
    """A rectangle of the read-out frame: rows ``y0:y1``, columns ``x0:x1`` (0-based, half-open).

    Parameters
    ----------
    y0, y1 : int
        First and one-past-last row, in pixels.
    x0, x1 : int
        First and one-past-last column, in pixels.
    """

    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def rows(self):
        """Its rows, a `slice`."""
        return slice(self.y0, self.y1)

    @property
    def columns(self):
        """Its columns, a `slice`."""
        return slice(self.x0, self.x1)

    @property
    def slices(self):
        """``(rows, columns)``: ``frame[section.slices]`` is the section."""
        return self.rows, self.columns

    @property
    def shape(self):
        """``(rows, columns)`` in pixels."""
        return self.y1 - self.y0, self.x1 - self.x0

    @property
    def size(self):
        """Pixels in it (0: an empty section)."""
        return (self.y1 - self.y0) * (self.x1 - self.x0)

    @property
    def fits(self):
        """The FITS section string, ``'[x0+1:x1,y0+1:y1]'`` (1-based, inclusive, x first)."""
        if not self.size:
            raise ValueError(f"{self} is empty: FITS has no section for it")
        return f"[{self.x0 + 1}:{self.x1},{self.y0 + 1}:{self.y1}]"

    @classmethod
    def from_fits(cls, text):
        """The section a FITS section string names (``'[x1:x2,y1:y2]'``, 1-based, inclusive).

        Parameters
        ----------
        text : str
            E.g. ``'[2049:2080,1:4096]'``; flipped ranges (``x2 < x1``) are refused.

        Returns
        -------
        Section
        """
        (y0, y1), (x0, x1), flip_rows, flip_columns = fits_ranges(text)
        if flip_rows or flip_columns:
            raise ValueError(f"FITS section {text!r} is flipped")
        return cls(y0, y1, x0, x1)

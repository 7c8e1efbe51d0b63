"""The read-out geometry: where each section of a frame is, amplifier by amplifier.

A frame as read out holds more than the light-sensitive pixels: each
amplifier's serial register is clocked past the end of every row (the
serial overscan, FITS ``BIASSEC``), its rows are clocked on past the last
data row (the parallel overscan, ``BIASSECR`` here), and it may read some
empty pixels before the data (the prescan). `ReadoutGeometry` says where all
of these are, once; every other module (the read-out, the bias, the FITS
headers, overscan subtraction, the truth) asks it.

Positions are 0-based rows ``y`` and columns ``x`` of the frame as written
(row 0 is the bottom row in FITS); a `Section` gives them as numpy slices
and as FITS 1-based, inclusive, x-first section strings (``'[x1:x2,y1:y2]'``).

Modules: sections (`Section`, FITS section strings) and amplifiers
(`Amplifier`, `ReadoutGeometry`).
"""

from .amplifiers import CORNERS, Amplifier, ReadoutGeometry, amplifier_layout
from .sections import Section, fits_ranges

__all__ = ["Section", "Amplifier", "ReadoutGeometry", "CORNERS", "amplifier_layout",
           "fits_ranges"]

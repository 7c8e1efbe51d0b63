"""A frame of several amplifiers in FITS: one image with each one's sections, or one HDU each.

Two layouts, as real cameras write them:

- ``assembled``: the raw frame as one image, every amplifier's segment
  where the geometry puts it, and per-amplifier cards named with the
  amplifier's letter (the convention of NOAO mosaics and DECam raws):
  ``DATASECA``, ``BIASSECA`` (serial overscan), ``BIASSRA`` (parallel
  overscan rows), ``PRESECA``, ``DETSECA`` and ``CCDSECA`` (where its data
  sit on the detector), ``AMPSECA`` (its data in read-out order: a
  flipped range such as ``[509:1,1:2000]`` says the amplifier reads from
  the right), ``GAINA``, ``RDNOISEA``;
- ``amplifiers``: a multi-extension file with one image HDU per amplifier
  (``EXTNAME`` ``AMP_A``, ...), each holding its segment as the assembled
  image does (not flipped) with ``DATASEC``, ``BIASSEC``, ``BIASSECR``,
  ``PRESEC``, ``DETSEC``, ``CCDSEC``, ``AMPSEC``, ``AMPNAME``, ``GAIN`` and
  ``RDNOISE`` of its own, as mosaic and LSST raws do: `ccdproc` reduces it
  HDU by HDU and `assemble` puts the trimmed data at ``DETSEC``.
"""

import numpy as np
from astropy.io import fits

from ..core.geometry import Section
from ..core.validate import ParameterError

__all__ = ["LAYOUTS", "check_layout", "AMPLIFIER_KEYS", "amplifier_cards", "amplifier_hdus", "assemble"]

#: The ways a frame of several amplifiers is written (`ccdsim.io.amplifiers`).
LAYOUTS = ("assembled", "amplifiers")

def check_layout(value, spelled="layout"):
    """``value`` if it is one of `LAYOUTS`, else a `ccdsim.ParameterError` naming ``spelled``."""
    if value not in LAYOUTS:
        raise ParameterError(f"{spelled} must be one of {', '.join(LAYOUTS)} (got {value!r:.40})",
                             param="layout", spelled=spelled)
    return value


# The cards of each amplifier: key stem -> comment.
_CARDS = {"DATASEC": "light-sensitive pixels", "BIASSEC": "serial overscan columns",
          "BIASSR": "parallel overscan rows", "PRESEC": "prescan columns",
          "DETSEC": "its data on the detector", "CCDSEC": "its data on the CCD",
          "AMPSEC": "data in read order (x2:x1: from the right)",
          "GAIN": "[e-/adu] gain", "RDNOISE": "[e-] read noise"}
#: Every per-amplifier keyword of the assembled layout (ccdsim writes them; a plan may not).
AMPLIFIER_KEYS = frozenset(f"{stem}{chr(ord('A') + k)}" for stem in _CARDS for k in range(26))


def _ampsec(amp):
    """``AMPSEC``: the data in the amplifier's own order (x2:x1 where it reads from the right)."""
    h, w = amp.data.shape
    x = f"{w}:1" if amp.reads_towards.endswith("right") else f"1:{w}"
    y = f"{h}:1" if amp.reads_towards.startswith("upper") else f"1:{h}"
    return f"[{x},{y}]"


def _sections(amp, origin=None):
    """``{stem: FITS section}`` of one amplifier, relative to ``origin`` (a Section) if given."""
    def rel(section):
        if origin is None or not section.size:
            return section
        return Section(section.y0 - origin.y0, section.y1 - origin.y0,
                       section.x0 - origin.x0, section.x1 - origin.x0)

    out = {"DATASEC": rel(amp.data), "BIASSEC": rel(amp.serial_overscan),
           "BIASSR": rel(amp.parallel_overscan), "PRESEC": rel(amp.prescan)}
    out = {k: s.fits for k, s in out.items() if s.size}
    out.update(DETSEC=amp.detector.fits, CCDSEC=amp.detector.fits, AMPSEC=_ampsec(amp))
    return out


def amplifier_cards(geometry, gain, read_noise):
    """The assembled image's cards: each amplifier's sections, gain and read noise.

    Parameters
    ----------
    geometry : ccdsim.core.geometry.ReadoutGeometry
        The frame's.
    gain, read_noise : sequence of float
        Each amplifier's, e-/ADU and e-.

    Returns
    -------
    dict
        ``{keyword: (value, comment)}``, amplifier by amplifier.
    """
    cards = {"DETSIZE": (Section(0, *geometry.detector_shape[:1], 0,
                                 geometry.detector_shape[1]).fits, "the detector's data pixels")}
    for amp, g, r in zip(geometry.amplifiers, gain, read_noise):
        for stem, value in _sections(amp).items():
            cards[f"{stem}{amp.name}"] = (value, f"amp {amp.name}: {_CARDS[stem]}")
        cards[f"GAIN{amp.name}"] = (float(g), f"amp {amp.name}: {_CARDS['GAIN']}")
        cards[f"RDNOISE{amp.name}"] = (float(r), f"amp {amp.name}: {_CARDS['RDNOISE']}")
    return cards


def amplifier_hdus(data, geometry, gain, read_noise):
    """One image HDU per amplifier: its segment of ``data``, with its own cards.

    Parameters
    ----------
    data : ndarray
        The frame as read out (the assembled layout).
    geometry : ccdsim.core.geometry.ReadoutGeometry
        Its amplifiers.
    gain, read_noise : sequence of float
        Each amplifier's, e-/ADU and e-.

    Returns
    -------
    list of astropy.io.fits.ImageHDU
    """
    hdus = []
    for amp, g, r in zip(geometry.amplifiers, gain, read_noise):
        hdu = fits.ImageHDU(np.ascontiguousarray(data[amp.segment.slices]), name=f"AMP_{amp.name}")
        h = hdu.header
        h["AMPNAME"] = (amp.name, "output amplifier")
        h["READDIR"] = (amp.reads_towards, "corner it reads towards")
        for stem, value in _sections(amp, amp.segment).items():
            h["BIASSECR" if stem == "BIASSR" else stem] = (value, _CARDS[stem])
        if "DATASEC" in h:
            h["TRIMSEC"] = (h["DATASEC"], "section to keep after trimming")
        h["GAIN"] = (float(g), _CARDS["GAIN"])
        h["RDNOISE"] = (float(r), _CARDS["RDNOISE"])
        hdus.append(hdu)
    return hdus


def assemble(hdus, trimmed):
    """The detector's image from trimmed amplifier data placed at each one's ``DETSEC``.

    Parameters
    ----------
    hdus : sequence of astropy.io.fits.ImageHDU
        The amplifiers' HDUs (their headers: ``DETSEC``).
    trimmed : sequence of ndarray
        Each one's data after trimming to ``DATASEC`` (e.g. by ccdproc), in order.

    Returns
    -------
    ndarray of float64
        The detector, ``DETSIZE``.
    """
    sections = [Section.from_fits(h.header["DETSEC"]) for h in hdus]
    out = np.zeros((max(s.y1 for s in sections), max(s.x1 for s in sections)))
    for s, data in zip(sections, trimmed):
        out[s.slices] = data
    return out

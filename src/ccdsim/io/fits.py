"""FITS output: headers that say what made a frame, truth tables, atomic writes."""

import math
import os
import re
from datetime import datetime, timezone

from astropy.io import fits
from astropy.table import Table

from .._version import __version__
from ..core.geometry import ReadoutGeometry
from .amplifiers import AMPLIFIER_KEYS, amplifier_cards, amplifier_hdus
from ..core.params import ADC_MAX, CAMERA_PARAMS, EXPOSURE_PARAMS, PARAMS
from ..core.quality import DQ
from ..core.seeds import seed_text
from .files import atomic_path, check_writable, sweep_temporaries

# atomic_path and check_writable live in ccdsim.io.files; imported here, where
# they have always been importable from.
__all__ = ["frame_header", "section_cards", "frame_hdulist", "write_hdulist", "atomic_path",
           "check_writable", "remove_stale_temporaries", "card_problem", "OWNED_KEYS"]

# The data section's cards: what each is for.
_DATA_CARDS = {"DATASEC": "light-sensitive pixels", "TRIMSEC": "section to keep after trimming"}
# Cards that record results, not parameters: (FITS keyword, comment).
_RESULT_CARDS = {"cosmic_rays": ("NCOSMIC", "number of cosmic rays (COSMICS table)")}


# Keys that give a FITS file its structure: nobody but the writer sets them.
_STRUCTURAL = re.compile(r"SIMPLE|BITPIX|NAXIS\d*|EXTEND|END|XTENSION|PCOUNT|GCOUNT|BSCALE|BZERO|"
                         r"BLANK|CONTINUE|COMMENT|HISTORY|CHECKSUM|DATASUM|EXTNAME|EXTVER|"
                         r"EXTLEVEL|INHERIT|TFIELDS|THEAP|T(TYPE|FORM|UNIT|NULL|SCAL|ZERO|DIM)\d+|"
                         r"Z[A-Z0-9_-]*")
# The world coordinates ccdsim writes for a pointed frame (astropy.wcs).
_WCS = re.compile(r"WCSAXES|CTYPE\d|CRPIX\d|CRVAL\d|CDELT\d|CUNIT\d|CD\d_\d|PC\d_\d|"
                  r"RADESYS|LONPOLE|LATPOLE|MJDREF|DATEREF|EQUINOX")
#: Keys ccdsim writes itself (parameters, seeds, dates, truth, sections, WCS): a
#: plan's header sets one only on purpose (``[value, comment, "override"]``). OBJECT,
#: a label ccdsim writes as given, is free to set.
OWNED_KEYS = frozenset({p.fits for p in PARAMS.values() if p.fits and p.fits != "OBJECT"} | {
    "DATE", "DATE-OBS", "MJD-OBS", "JD", "LST", "NIGHTSD", "FRMSEED", "CAMSEED", "CREATOR",
    "CCDSIMV", "SATURATE", "BIASOFF", "FRAMENUM", "IMAGETYP", "FILTER", "EXPTIME", "AIRMASS",
    "RA", "DEC", "OBJCTRA", "OBJCTDEC", "SITELAT", "SITELONG", "SITEELEV", "DITHERE", "DITHERN",
    "DRIFTE", "DRIFTN", "FIELDROT", "FLATLEV", "EMVAMUP", "NCOSMIC", "PERSTOT", "BUNIT",
    "DATASEC", "BIASSEC", "TRIMSEC", "BIASSECR", "BATCHIDX", "BATCHPLN", "BATCHSD", "DETSIZE",
    "CCDSUM", "CAMFILE"}
    | AMPLIFIER_KEYS)


def card_problem(key, value, comment="", override=False):
    """What is wrong with a header card a user gives, or None: it is written as given.

    Parameters
    ----------
    key : str
        The keyword.
    value : str, int, float or bool
        Its value (a template already filled in).
    comment : str, optional
        Its comment.
    override : bool, optional
        The user sets a key ccdsim writes on purpose.

    Returns
    -------
    str or None
        One clause for a message ("is not a FITS keyword ..."), or None.
    """
    if not (isinstance(key, str) and 0 < len(key) <= 8 and key.upper() == key
            and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)):
        return "is not a FITS keyword (1-8 capitals, digits, - or _)"
    if _STRUCTURAL.fullmatch(key):
        return "gives the file its structure: only the writer sets it"
    if (key in OWNED_KEYS or _WCS.fullmatch(key)) and not override:
        return ("is written by ccdsim (a parameter, the truth or the layout); to set it on "
                "purpose write [value, comment, \"override\"]")
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) < 2**63):
        pass
    elif isinstance(value, float):
        if not math.isfinite(value):
            return "must be a finite number"
    elif isinstance(value, str):
        if not (value.isascii() and value.isprintable()):
            return "must be printable ASCII"
    else:
        return "must be a string, a number (within 64 bits) or a boolean"
    if key == "EMVAQE" and (isinstance(value, (bool, str)) or not 0 < value <= 1):
        return "is a quantum efficiency (EMVAMUP is FLATLEV*GAIN/EMVAQE): a number in (0, 1]"
    if not (isinstance(comment, str) and comment.isascii() and comment.isprintable()):
        return "must have a comment of printable ASCII"
    if len(fits.Card(key, value, comment).image) > 80:
        return "does not fit on one 80-character card with its comment"
    return None


def set_card(header, key, value, comment):
    """Set a card, shortening the comment so it fits in 80 characters (never the value)."""
    # A value takes at least the first 30 columns (FITS pads short strings to 20 characters).
    room = 80 - max(len(fits.Card(key, value).image.rstrip()), 30) - 3
    header[key] = (value, comment[:room] if room > 0 else "")


def section_cards(geometry, amplifiers=None):
    """The header cards that say where a frame's sections are, ``{keyword: (value, comment)}``.

    ``DATASEC`` and ``TRIMSEC`` (the data), ``BIASSEC`` (the serial overscan
    columns, if any) and ``BIASSECR`` (BIASSEC's companion for the parallel
    overscan rows, if any): FITS sections, 1-based, x first, inclusive.

    Parameters
    ----------
    geometry : ccdsim.core.geometry.ReadoutGeometry
        The frame's. With several amplifiers: each one's cards instead
        (`ccdsim.io.amplifiers.amplifier_cards`).
    amplifiers : ccdsim.readout.amplifiers.AmplifierValues, optional
        Each amplifier's gain and read noise (several amplifiers only).

    Returns
    -------
    dict
    """
    if len(geometry.amplifiers) > 1 or geometry.amplifiers[0].prescan.size:
        return amplifier_cards(geometry, amplifiers.gain, amplifiers.read_noise)
    amp = geometry.amplifier
    cards = {key: (amp.data.fits, comment) for key, comment in _DATA_CARDS.items()}
    for key, section, comment in (("BIASSEC", amp.serial_overscan, "overscan columns"),
                                  ("BIASSECR", amp.parallel_overscan, "overscan rows")):
        if section.size:
            cards[key] = (section.fits, comment)
    return cards


def frame_header(camera_params, settings, seed_seq, geometry=None, amplifiers=None):
    """Primary header recording everything that made a frame.

    Parameters
    ----------
    camera_params : dict
        `Camera.parameters`.
    settings : dict
        The exposure's settings (``exposure_time``, ``imagetyp``, ``sky``, ...;
        ``cards``: more cards, ``{keyword: (value, comment)}``).
    seed_seq : numpy.random.SeedSequence
        The frame's seed; ``FRMSEED`` holds it as text for `ccdsim.core.seeds.parse_seed_text`.
    geometry : ccdsim.core.geometry.ReadoutGeometry, optional
        Where the frame's sections are (`section_cards`); default: the one
        of a camera with these parameters (``Camera.geometry``).
    amplifiers : ccdsim.readout.amplifiers.AmplifierValues, optional
        Each amplifier's gain and read noise, for a frame of several (`section_cards`).
    """
    h = fits.Header()
    h["IMAGETYP"] = (settings["imagetyp"], "type of image")
    exptime = PARAMS["exposure_time"]
    set_card(h, exptime.fits, settings["exposure_time"], exptime.fits_comment)
    set_card(h, "EXPOSURE", settings["exposure_time"], exptime.fits_comment)
    for key, (value, comment) in settings.get("cards", {}).items():
        set_card(h, key, value, comment)
    h["BUNIT"] = ("adu", "unit of the data")
    for name in CAMERA_PARAMS:
        p = PARAMS[name]
        if p.fits and camera_params.get(name) is not None:
            set_card(h, p.fits, camera_params[name], p.fits_comment)
    ny, nx = camera_params["shape"]
    if geometry is None:
        geometry = ReadoutGeometry.of_camera(camera_params)
    for key, (value, comment) in section_cards(geometry, amplifiers).items():
        set_card(h, key, value, comment)
    set_card(h, "FRMSEED", seed_text(seed_seq), "frame seed (noise, random stars)")
    for name in EXPOSURE_PARAMS:
        if settings.get(name) is not None:
            set_card(h, PARAMS[name].fits, settings[name], PARAMS[name].fits_comment)
    for name, (key, comment) in _RESULT_CARDS.items():
        if settings.get(name) is not None:
            set_card(h, key, settings[name], comment)
    set_card(h, PARAMS["quantize"].fits, settings.get("quantize", True),
             PARAMS["quantize"].fits_comment)
    if settings.get("quantize", True):
        h["SATURATE"] = (ADC_MAX, "[adu] ADC saturation")
    h["DATE"] = (datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), "UTC file creation")
    h["CREATOR"] = (f"ccdsim {__version__}", "software that made this frame")
    h["CCDSIMV"] = (__version__, "ccdsim version")
    h.add_comment(f"Simulated {ny}x{nx} frame; TRUTH extension holds the true star table.")
    return h


def frame_hdulist(data, header, truth=None, *, dq=None, cosmics=None, moved=None,
                  layout="assembled", geometry=None, amplifiers=None):
    """HDUList: the image in the primary HDU, then the truth.

    Extensions: ``TRUTH`` (star table), ``DQ`` (data-quality bits, see
    `ccdsim.DQ`), ``COSMICS`` (cosmic-ray table) and ``CTI`` (charge the
    traps moved), each when given. In the ``amplifiers`` layout the primary
    HDU holds the header only and each amplifier's segment follows in its
    own HDU (`ccdsim.io.amplifiers`); the DQ and CTI extensions keep the
    assembled frame's layout.

    Parameters
    ----------
    data : ndarray
        The image, in ADU.
    header : astropy.io.fits.Header
        Primary header (see `frame_header`).
    truth : astropy.table.Table, optional
        The star table.
    dq : ndarray of uint8, optional
        Data-quality bits per pixel.
    cosmics : astropy.table.Table, optional
        The cosmic rays.
    moved : ndarray of float32, optional
        Electrons CTI moved, after minus before, in the frame's layout.
    layout : {'assembled', 'amplifiers'}, optional
        One image, or one HDU per amplifier (then ``geometry`` and ``amplifiers``).
    geometry : ccdsim.core.geometry.ReadoutGeometry, optional
        The frame's amplifiers.
    amplifiers : ccdsim.readout.amplifiers.AmplifierValues, optional
        Their gain and read noise.

    Returns
    -------
    astropy.io.fits.HDUList
    """
    if layout == "amplifiers":
        hdus = [fits.PrimaryHDU(header=header),
                *amplifier_hdus(data, geometry, amplifiers.gain, amplifiers.read_noise)]
    else:
        hdus = [fits.PrimaryHDU(data=data, header=header)]
    if truth is not None:
        hdus.append(fits.BinTableHDU(Table(truth), name="TRUTH"))
    if dq is not None:
        dq_hdu = fits.ImageHDU(dq, name="DQ")
        for name, bit in DQ.describe().items():
            dq_hdu.header[f"DQ{bit}"] = (name.lower().replace("_", " "), f"meaning of bit {bit}")
        hdus.append(dq_hdu)
    if cosmics is not None:
        hdus.append(fits.BinTableHDU(Table(cosmics), name="COSMICS"))
    if moved is not None:
        cti = fits.ImageHDU(moved, name="CTI")
        cti.header["BUNIT"] = ("electron", "charge the traps moved: after minus before")
        hdus.append(cti)
    return fits.HDUList(hdus)


def remove_stale_temporaries(folder, pattern="*"):
    """Remove every temporary `atomic_path` left for files matching ``pattern`` in ``folder``.

    Only a process that died mid-write (a Dask worker killed, a power cut)
    leaves one; call this when no other writer is at work in ``folder``
    (see `ccdsim.io.files.sweep_temporaries` for the careful kind).

    Parameters
    ----------
    folder : str
        The folder.
    pattern : str, optional
        Glob pattern of the final file names (e.g. ``"frame_*"``).

    Returns
    -------
    list of str
        The paths removed.
    """
    import fnmatch

    finals = []
    for entry in os.listdir(os.fspath(folder)):
        if entry.startswith(".") and entry.endswith(".part"):
            base = entry[1:-len(".part")].rpartition(".")[0]
            if fnmatch.fnmatch(base, pattern):
                finals.append(os.path.join(os.fspath(folder), base))
    return sweep_temporaries(finals, everyone=True)


def write_hdulist(hdulist, path, overwrite=False):
    """Write ``hdulist`` to ``path`` atomically (see `atomic_path`).

    Parameters
    ----------
    hdulist : astropy.io.fits.HDUList
        What to write (with checksums).
    path : str or os.PathLike
        Output FITS file; its folder must exist. A name ending in ``.bz2`` or
        ``.gz`` is written compressed.
    overwrite : bool, optional
        Replace an existing file (refused otherwise).

    Returns
    -------
    str or os.PathLike
        ``path``.
    """
    compress = _COMPRESSORS.get(os.fspath(path).rsplit(".", 1)[-1].lower())
    with atomic_path(path, overwrite) as tmp:
        if compress is None:
            hdulist.writeto(tmp, overwrite=True, checksum=True)
        else:
            # The temporary's name ends in .part, so astropy would not compress it itself.
            with compress(tmp, "wb") as f:
                hdulist.writeto(f, checksum=True)
    return path


def _open_bz2(path, mode):
    import bz2

    return bz2.open(path, mode, compresslevel=9)


def _open_gzip(path, mode):
    import gzip

    # mtime=0: the same frame gives the same bytes, whenever it is written.
    return gzip.GzipFile(path, mode, compresslevel=6, mtime=0)


#: Compression by the file name's suffix, as astropy reads them back.
_COMPRESSORS = {"bz2": _open_bz2, "gz": _open_gzip}

#: The file names ccdsim writes FITS to: plain, or compressed whole (gzip, bzip2).
FITS_SUFFIXES = tuple(base + zipped for zipped in ("", ".gz", ".bz2")
                      for base in (".fits", ".fit", ".fts"))


def fits_name_problem(name):
    """What is wrong with ``name`` as a FITS file ccdsim writes, or None.

    Parameters
    ----------
    name : str
        A file name or path.

    Returns
    -------
    str or None
        One clause for a message.
    """
    lower = str(name).lower()
    if lower.endswith(".fz"):
        return ("ends in .fz, a tile-compressed file, which ccdsim does not write: name it "
                ".fits (or .fits.gz, .fits.bz2) and compress it with fpack")
    if not lower.endswith(FITS_SUFFIXES):
        return f"must end in {', '.join(FITS_SUFFIXES[:3])} (or .gz, .bz2 after them)"
    return None

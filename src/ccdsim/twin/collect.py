"""Collect a camera's raw calibration frames: which file is which, checked before any pixel is read.

A folder (or a list of files) is untrusted input: at most `MAX_FILES` FITS
files are looked at, each must be a regular file of at most `MAX_FILE_BYTES`
bytes, and file names are labels (never joined to another path). Headers are
read with ``ccdproc.ImageFileCollection``; each frame's kind comes from its
``IMAGETYP`` (every spelling of `ccdsim.plans.model.IMAGETYP_STYLES`, common
others, and the caller's own, case-insensitive). Frames of an unknown kind are
skipped and listed (`Collection.skipped`); frames of mixed sizes are refused
with one line that names the sizes.
"""

import os
import stat
from dataclasses import dataclass, field

from astropy.io import fits
from astropy.table import vstack
from astropy.time import Time

from ..core.extras import require
from ..core.validate import ParameterError
from ..plans.model import IMAGETYP_STYLES

__all__ = ["MAX_FILES", "MAX_FILE_BYTES", "KIND_WORDS", "FrameInfo", "Collection",
           "frame_kind", "list_fits_files", "collect"]

#: The most FITS files one fit reads.
MAX_FILES = 2000
#: The largest FITS file read (bytes): a 10k x 10k float32 frame and its extensions.
MAX_FILE_BYTES = 1 << 30
#: File names taken as FITS.
FITS_ENDINGS = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fits.bz2", ".fit.bz2")

#: IMAGETYP words (lower case) -> kind: every ccdsim style, and what other programs write.
KIND_WORDS = {
    **{word.lower(): ("dark" if kind == "darkflat" else kind)
       for style in IMAGETYP_STYLES.values() for kind, word in style.items()},
    "zero": "bias", "bias frame": "bias", "offset": "bias",
    "dark frame": "dark", "darkflat": "dark", "flat dark": "dark",
    "flat field": "flat", "flatfield": "flat", "flat frame": "flat", "dome flat": "flat",
    "domeflat": "flat", "sky flat": "flat", "skyflat": "flat", "twilight flat": "flat",
    "light": "science", "light frame": "science", "object": "science", "science": "science",
}
KINDS = ("bias", "dark", "flat", "science")


@dataclass(frozen=True)
class FrameInfo:
    """One frame as its header describes it.

    Parameters
    ----------
    path : str
        The file.
    name : str
        Its name (a label in messages).
    kind : str
        ``bias``, ``dark``, ``flat`` or ``science``.
    exptime : float
        Exposure time (s).
    filter : str
        The filter (``""`` when the header has none).
    time : float or None
        Start of the exposure, hours since the first frame's (None without a date).
    shape : tuple of int
        ``(ny, nx)`` read out.
    """

    path: str
    name: str
    kind: str
    exptime: float
    filter: str
    time: float | None
    shape: tuple


@dataclass
class Collection:
    """A camera's frames, by kind, with what was skipped and why.

    Parameters
    ----------
    frames : list of FrameInfo
        Every frame of a known kind, in the order of their dates.
    header : astropy.io.fits.Header
        The first frame's header (sections, pixel size).
    skipped : list of str
        ``"NAME: why"`` for each file not used.
    """

    frames: list
    header: object
    skipped: list = field(default_factory=list)

    def of(self, kind, exptime=None, filter=None):
        """The frames of one kind (and exposure time, and filter), in time order.

        Parameters
        ----------
        kind : str
            ``bias``, ``dark``, ``flat`` or ``science``.
        exptime : float, optional
            Only those of this exposure time (s).
        filter : str, optional
            Only those in this filter.

        Returns
        -------
        list of FrameInfo
        """
        return [f for f in self.frames if f.kind == kind
                and (exptime is None or f.exptime == exptime)
                and (filter is None or f.filter == filter)]

    def counts(self):
        """``{kind: number of frames}`` for every kind.

        Returns
        -------
        dict
        """
        return {k: len(self.of(k)) for k in KINDS}


def frame_kind(value, extra_words=None):
    """The kind of frame an IMAGETYP value names, or None.

    Parameters
    ----------
    value : str
        The header's value (any case, surrounding blanks ignored).
    extra_words : dict, optional
        ``{word: kind}``: a camera's own spellings, checked first.

    Returns
    -------
    str or None
        ``bias``, ``dark``, ``flat``, ``science``, or None for an unknown word.

    Examples
    --------
    >>> frame_kind("Bias Frame"), frame_kind("DARKFLAT"), frame_kind("sky flat")
    ('bias', 'dark', 'flat')
    >>> frame_kind("ZERO", {"zero": "bias"}), frame_kind("focus") is None
    ('bias', True)
    """
    word = " ".join(str(value).split()).lower()
    words = {" ".join(k.split()).lower(): v for k, v in (extra_words or {}).items()}
    return words.get(word, KIND_WORDS.get(word))


def list_fits_files(source, max_files=MAX_FILES, max_bytes=MAX_FILE_BYTES):
    """The FITS files of a folder, or a list of files, checked before reading.

    Parameters
    ----------
    source : str, os.PathLike or sequence of them
        A folder (its FITS files, not its sub-folders) or the files.
    max_files : int, optional
        The most files accepted.
    max_bytes : int, optional
        The largest file accepted (bytes).

    Returns
    -------
    list of str
        The files, sorted by name.

    Raises
    ------
    ccdsim.ParameterError
        No such folder, no FITS file, too many files, a file too large or
        not a regular file: one line naming it.
    """
    if isinstance(source, (str, os.PathLike)):
        folder = os.fspath(source)
        if not os.path.isdir(folder):
            raise ParameterError(f"{folder} is not a folder", param="frames")
        with os.scandir(folder) as entries:
            paths = []
            for e in entries:
                if e.name.lower().endswith(FITS_ENDINGS) and not e.name.startswith("."):
                    paths.append(e.path)
                    if len(paths) > max_files:
                        raise ParameterError(f"{folder} holds more than {max_files} FITS files; "
                                             f"at most {max_files} are read", param="frames")
    else:
        paths = [os.fspath(p) for p in source]
        if len(paths) > max_files:
            raise ParameterError(f"{len(paths)} files given; at most {max_files} are read",
                                 param="frames")
    if not paths:
        raise ParameterError(f"no FITS files (names ending {', '.join(FITS_ENDINGS[:3])}, ...) "
                             f"in {source}", param="frames")
    for path in paths:
        name = os.path.basename(path)
        try:
            st = os.stat(path)
        except OSError as exc:
            raise ParameterError(f"{name}: cannot be read ({exc.strerror})",
                                 param="frames") from None
        if not stat.S_ISREG(st.st_mode):
            raise ParameterError(f"{name}: not a regular file", param="frames")
        if st.st_size > max_bytes:
            raise ParameterError(f"{name}: larger than {max_bytes >> 20} MiB; at most "
                                 f"{max_bytes >> 20} MiB per file is read", param="frames")
    return sorted(paths)


def _hours(dates):
    """Hours since the earliest of ISO dates (None where a date is missing or unreadable)."""
    times = {}
    for i, d in enumerate(dates):
        try:
            times[i] = Time(str(d), format="isot", scale="utc").unix / 3600.0
        except (ValueError, TypeError):
            pass
    t0 = min(times.values()) if times else 0.0
    return [times[i] - t0 if i in times else None for i in range(len(dates))]


def collect(source, *, imagetyp_key="IMAGETYP", exptime_key="EXPTIME", filter_key="FILTER",
            date_key="DATE-OBS", imagetyp_words=None, max_files=MAX_FILES,
            max_bytes=MAX_FILE_BYTES):
    """The frames of a folder or of a list of files, by kind, exposure time and filter.

    Parameters
    ----------
    source : str, os.PathLike or sequence of them
        A folder or the files.
    imagetyp_key, exptime_key, filter_key, date_key : str, optional
        The header keywords the camera writes (``EXPOSURE`` is tried when
        the exposure keyword is missing).
    imagetyp_words : dict, optional
        ``{word: kind}``: the camera's own IMAGETYP values (``{"ZERO": "bias"}``).
    max_files, max_bytes : int, optional
        Caps on the number of files and on each file's size.

    Returns
    -------
    Collection

    Raises
    ------
    ccdsim.ParameterError
        Bad input (see `list_fits_files`), a frame that is not a 2-D image,
        frames of mixed sizes, or no frame of a known kind: one line.
    """
    ccdproc = require("ccdproc", "twin", "ccdsim camera fit")
    for word, kind in (imagetyp_words or {}).items():
        if kind not in KINDS:
            raise ParameterError(f"IMAGETYP value {word!r}: kind {kind!r} is not one of "
                                 f"{', '.join(KINDS)}", param="imagetyp_words")
    paths = list_fits_files(source, max_files, max_bytes)
    keys = [k.lower() for k in (imagetyp_key, exptime_key, "exposure", filter_key, date_key,
                                "naxis", "naxis1", "naxis2")]
    folder = os.path.dirname(paths[0]) or "."
    same = all((os.path.dirname(p) or ".") == folder for p in paths)
    try:
        if same:
            ifc = ccdproc.ImageFileCollection(folder, keywords=keys,
                                              filenames=[os.path.basename(p) for p in paths])
            table = ifc.summary
        else:  # files from several folders: one collection each, rows in the given order
            table = None
            for p in paths:
                t = ccdproc.ImageFileCollection(os.path.dirname(p) or ".", keywords=keys,
                                                filenames=[os.path.basename(p)]).summary
                table = t if table is None else _vstack(table, t)
    except (OSError, ValueError, TypeError) as exc:
        raise ParameterError(f"cannot read the FITS headers: {exc}", param="frames") from None
    frames, skipped = [], []
    rows = []
    for p, row in zip(paths, table):
        name = os.path.basename(p)
        value = _value(row, keys[0])
        kind = frame_kind(value, imagetyp_words) if value is not None else None
        if kind is None:
            skipped.append(f"{name}: {imagetyp_key} "
                           + (f"{value!r} is not a known frame kind" if value is not None
                              else "missing"))
            continue
        if _value(row, "naxis") != 2:
            raise ParameterError(f"{name}: not a 2-D image in its first HDU", param="frames")
        exptime = _value(row, keys[1])
        exptime = _value(row, "exposure") if exptime is None else exptime
        if kind != "bias" and exptime is None:
            raise ParameterError(f"{name}: no {exptime_key} (or EXPOSURE) in its header",
                                 param="frames")
        rows.append((p, name, kind, float(exptime or 0.0), str(_value(row, keys[3]) or ""),
                     _value(row, keys[4]),
                     (int(_value(row, "naxis2")), int(_value(row, "naxis1")))))
    if not rows:
        raise ParameterError(f"no frame of a known kind (bias, dark, flat, light): "
                             f"{skipped[0]}", param="frames")
    shapes = {}
    for r in rows:
        shapes.setdefault(r[6], []).append(r[1])
    if len(shapes) > 1:
        text = "; ".join(f"{ny}x{nx} ({len(n)} frames, e.g. {n[0]})"
                         for (ny, nx), n in sorted(shapes.items(), key=lambda kv: -len(kv[1])))
        raise ParameterError(f"frames of mixed sizes (rows x columns): {text}", param="frames")
    hours = _hours([r[5] for r in rows])
    frames = [FrameInfo(p, n, k, t, f, h, s) for (p, n, k, t, f, _, s), h in zip(rows, hours)]
    frames.sort(key=lambda f: (f.time is None, f.time or 0.0, f.name))
    header = _header(frames[0].path)
    return Collection(frames, header, skipped)


def _value(row, key):
    """A summary row's value, None when missing or masked."""
    if key not in row.colnames:
        return None
    v = row[key]
    if v is None or getattr(v, "mask", False) is True or str(v) == "--":
        return None
    return v.item() if hasattr(v, "item") else v


def _vstack(a, b):
    """Two summary tables as one (columns of either)."""
    return vstack([a, b], metadata_conflicts="silent")


def _header(path):
    """The primary header of a frame."""
    return fits.getheader(path)

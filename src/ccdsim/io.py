"""FITS output: headers that say what made a frame, truth tables, atomic writes."""

import os
import secrets
from contextlib import contextmanager
from datetime import datetime, timezone

from astropy.io import fits
from astropy.table import Table

from ._version import __version__
from .params import CAMERA_PARAMS, EXPOSURE_PARAMS, PARAMS
from .seeds import seed_text

__all__ = ["frame_header", "frame_hdulist", "write_hdulist", "atomic_path", "check_writable",
           "remove_stale_temporaries", "remove_temporaries_of"]

# Cards that record results, not parameters: (FITS keyword, comment).
_RESULT_CARDS = {"cosmic_rays": ("NCOSMIC", "number of cosmic rays (COSMICS table)")}


def set_card(header, key, value, comment):
    """Set a card, shortening the comment so it fits in 80 characters (never the value)."""
    room = 80 - len(fits.Card(key, value).image.rstrip()) - 3
    header[key] = (value, comment[:room] if room > 0 else "")


def frame_header(camera_params, settings, seed_seq):
    """Primary header recording everything that made a frame.

    Parameters
    ----------
    camera_params : dict
        `Camera.parameters`.
    settings : dict
        The exposure's settings (``exposure_time``, ``imagetyp``, ``sky``, ...;
        ``cards``: more cards, ``{keyword: (value, comment)}``).
    seed_seq : numpy.random.SeedSequence
        The frame's seed; ``FRMSEED`` holds it as text for `ccdsim.seeds.parse_seed_text`.
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
    # FITS sections are 1-based, x first, inclusive.
    h["DATASEC"] = (f"[1:{nx},1:{ny}]", "light-sensitive pixels")
    h["TRIMSEC"] = (f"[1:{nx},1:{ny}]", "section to keep after trimming")
    overscan = camera_params.get("overscan", 0)
    if overscan:
        h["BIASSEC"] = (f"[{nx + 1}:{nx + overscan},1:{ny}]", "overscan: bias + read noise")
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
        h["SATURATE"] = (65535, "[adu] ADC saturation")
    h["DATE"] = (datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), "UTC file creation")
    h["CREATOR"] = (f"ccdsim {__version__}", "software that made this frame")
    h["CCDSIMV"] = (__version__, "ccdsim version")
    h.add_comment(f"Simulated {ny}x{nx} frame; TRUTH extension holds the true star table.")
    return h


def frame_hdulist(data, header, truth=None, *, dq=None, cosmics=None):
    """HDUList: the image in the primary HDU, then the truth.

    Extensions: ``TRUTH`` (star table), ``DQ`` (data-quality bits, see
    `ccdsim.DQ`) and ``COSMICS`` (cosmic-ray table), each when given.

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

    Returns
    -------
    astropy.io.fits.HDUList
    """
    hdus = [fits.PrimaryHDU(data=data, header=header)]
    if truth is not None:
        hdus.append(fits.BinTableHDU(Table(truth), name="TRUTH"))
    if dq is not None:
        from .quality import DQ

        dq_hdu = fits.ImageHDU(dq, name="DQ")
        for name, bit in DQ.describe().items():
            dq_hdu.header[f"DQ{bit}"] = (name.lower().replace("_", " "), f"meaning of bit {bit}")
        hdus.append(dq_hdu)
    if cosmics is not None:
        hdus.append(fits.BinTableHDU(Table(cosmics), name="COSMICS"))
    return fits.HDUList(hdus)


def check_writable(path, overwrite=False, name="output"):
    """Refuse early: an existing file without ``overwrite``, or a missing folder.

    Parameters
    ----------
    path : str or os.PathLike
        File about to be written.
    overwrite : bool, optional
        Whether an existing file may be replaced.
    name : str, optional
        What the file is, for the error message.

    Raises
    ------
    FileExistsError, FileNotFoundError, IsADirectoryError
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{name} {path} is a directory")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{name} {path} exists (use --overwrite / overwrite=True)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{name} folder {folder} does not exist")


@contextmanager
def atomic_path(path, overwrite=False):
    """Yield a temporary name beside ``path``; on success move it into place.

    The file appears whole or not at all. Without ``overwrite`` an existing
    file is never replaced, even one that appeared while we were writing
    (the final step is a hard link, which fails if the name exists).

    Parameters
    ----------
    path : str or os.PathLike
        Final file name; its folder must exist.
    overwrite : bool, optional
        Replace an existing file (refused otherwise).

    Yields
    ------
    str
        Temporary file name in the same folder, to write to.
    """
    path = os.fspath(path)
    check_writable(path, overwrite)
    folder, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{base}.{secrets.token_hex(6)}.part")
    # Created like any new file (mode 0666 less the umask), unlike mkstemp's 0600.
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsError(f"output {path} exists (use --overwrite / overwrite=True)")
            except OSError:  # file systems without hard links
                if os.path.exists(path):
                    raise FileExistsError(f"output {path} exists") from None
                os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def remove_stale_temporaries(folder, pattern="*"):
    """Remove the temporaries `atomic_path` left for files matching ``pattern`` in ``folder``.

    Only a process that died mid-write (a Dask worker killed, a power cut)
    leaves one; call this when no other writer is at work in ``folder``.

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
    import glob

    stale = glob.glob(os.path.join(os.fspath(folder), f".{pattern}.*.part"))
    for path in stale:
        os.unlink(path)
    return stale


def remove_temporaries_of(paths):
    """Remove the temporaries `atomic_path` left for any of ``paths``.

    Each folder is listed once, however many files it holds.

    Parameters
    ----------
    paths : iterable of str
        Final file names.

    Returns
    -------
    list of str
        The paths removed.
    """
    by_folder = {}
    for path in paths:
        folder, base = os.path.split(os.path.abspath(os.fspath(path)))
        by_folder.setdefault(folder, set()).add(base)
    removed = []
    for folder, names in by_folder.items():
        try:
            entries = os.listdir(folder)
        except FileNotFoundError:
            continue
        for entry in entries:
            # .{name}.{12 hex digits}.part
            if entry.startswith(".") and entry.endswith(".part") and \
                    entry[1:-len(".part")].rpartition(".")[0] in names:
                path = os.path.join(folder, entry)
                try:
                    os.unlink(path)
                    removed.append(path)
                except FileNotFoundError:
                    pass
    return removed


def write_hdulist(hdulist, path, overwrite=False):
    """Write ``hdulist`` to ``path`` atomically (see `atomic_path`).

    Parameters
    ----------
    hdulist : astropy.io.fits.HDUList
        What to write (with checksums).
    path : str or os.PathLike
        Output FITS file; its folder must exist.
    overwrite : bool, optional
        Replace an existing file (refused otherwise).

    Returns
    -------
    str or os.PathLike
        ``path``.
    """
    with atomic_path(path, overwrite) as tmp:
        hdulist.writeto(tmp, overwrite=True, checksum=True)
    return path

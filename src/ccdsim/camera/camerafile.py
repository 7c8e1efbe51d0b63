"""Camera files: a camera's parameters (TOML) and its measured maps (FITS beside it).

A camera file is what ``ccdsim camera fit`` writes and ``--camera-file``
(or `ccdsim.Camera.from_file`) reads: the camera of a user's own
calibration frames. Its layout::

    # made by ccdsim camera fit
    [camera]              # parameters, named as `ccdsim config show` writes them
    shape = [1024, 1536]
    gain = 1.4
    read-noise = 6.2      # dashes or underscores, or the parameter's Python name

    [maps]                # kind = "file name": plain names, in the same folder
    bias = "mycam-bias.fits"
    dark = "mycam-dark.fits"
    flat = "mycam-flat.fits"
    flat_V = "mycam-flat_V.fits"

    [fit]                 # free-form: what was measured, standard errors (kept, not used)

The maps, each a 2-D image of the camera's ``shape`` (the data section, at
full resolution for a binned camera):

- ``bias``, ADU (0..65535): replaces the bias level and its fixed structure
  (``bias_level``, bad columns, ``bias_gradient``, ``bias_row_rms``,
  ``bias_column_rms``, ``bias_pixel_rms``). The data section reads the map
  plus read noise and each frame's own offsets (``bias_drift``,
  ``bias_jitter``, row noise, RTS); overscan columns and rows read the map's
  median plus ``overscan_offset``. The camera's ``bias_level`` is that median.
  With several amplifiers and ``amplifier_bias_level``, each one's overscan
  reads its own level and its part of the map keeps the structure about it.
- ``dark``, e-/pixel/s (>= 0): replaces the dark current and hot pixels. It
  collects over the exposure time as dark charge, in the one Poisson draw of
  step 1 with all other charge. A fitted file has ``dark_current``,
  ``hot_pixel_fraction`` and ``hot_above_1`` 0; set on top, they add to the map.
- ``flat`` (mean 1; renormalised if not, with a warning) and
  ``flat_<FILTER>`` (``flat_V``): replace the camera's flat (vignetting,
  dust, PRNU, cosmetics; ``flat_map``, ``flat_for``), multiplying light only.
  A filter without a flat of its own uses ``flat``.

The parameters a map replaces are off in a camera that has the map: they
default to 0 and a camera that sets them is refused, naming them (but
``dark_current`` and hot pixels, which add).

Everything is read as untrusted input: the TOML capped at
`ccdsim.io.toml.MAX_CONFIG_BYTES`, each map capped in bytes by the camera's
shape, names that are labels and never paths, one-line
`ccdsim.ParameterError` refusals that name the file or key. `write_camera_file`
writes what `read_camera_file` reads, each file whole (`ccdsim.io.files.atomic_path`).
"""

import io
import os
import warnings

import numpy as np

from ..core.params import ADC_MAX, CAMERA_PARAMS, DEFAULTS, PARAMS
from ..core.reading import read_capped
from ..core.validate import ParameterError, cut
from ..io.files import OutputError, atomic_path, check_output_folder, describe_os_error
from ..io.fits import write_hdulist
from ..io.toml import document_toml
from .filekeys import (
    DARK_OFF,
    MAP_KINDS,
    REPLACED,
    base_kind,
    camera_file_parameters,
    camera_file_problem,
    check_parameters,
    complete_parameters,
    kind_problem,
    map_name_problem,
    read_document,
)

__all__ = ["MAP_KINDS", "MAP_UNITS", "REPLACED", "DARK_OFF", "write_camera_file",
           "read_camera_file", "camera_file_parameters", "map_name_problem", "check_map",
           "complete_parameters", "camera_file_problem"]

#: Each kind's unit (FITS ``BUNIT``).
MAP_UNITS = {"bias": "adu", "dark": "electron/(pix s)", "flat": ""}
# A flat whose mean is this far from 1 is renormalised with a warning (a fit's is 1).
_FLAT_MEAN_TOLERANCE = 1e-3
# FITS header blocks a map may carry beside its pixels.
_HEADER_SLACK = 64 * 2880
def check_map(kind, data, shape, where=""):
    """A map checked for ``kind`` and ``shape``: float32, read-only (a flat renormalised).

    Parameters
    ----------
    kind : str
        ``bias``, ``dark``, ``flat`` or ``flat_<FILTER>``.
    data : array_like
        The map.
    shape : tuple of int
        The camera's ``shape`` (data section, full resolution).
    where : str, optional
        What the map is (its file), for messages.

    Returns
    -------
    ndarray of float32
        A new read-only array.

    Raises
    ------
    ccdsim.ParameterError
        One line naming the map and what it must be.
    """
    where = where or f"map {kind}"
    problem = kind_problem(kind)
    if problem:
        raise ParameterError(f"{where}: {cut(kind, 40)} {problem}", param="camera_file")
    a = np.asarray(data)
    if a.dtype.kind not in "uif" or a.ndim != 2:
        raise ParameterError(f"{where}: the {kind} map must be a 2-D image of numbers "
                             f"(got {a.ndim} dimensions of {a.dtype})", param="camera_file")
    if tuple(a.shape) != tuple(shape):
        raise ParameterError(f"{where}: the {kind} map is {a.shape[0]}x{a.shape[1]} pixels; "
                             f"the camera's shape is {shape[0]}x{shape[1]}", param="camera_file")
    a = a.astype(np.float64, copy=False)
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{where}: the {kind} map has {int(np.sum(~np.isfinite(a)))} "
                             f"pixels that are not finite (NaN or infinite); every pixel must "
                             f"be a number", param="camera_file")
    base = base_kind(kind)
    lo, hi = float(a.min()), float(a.max())
    if base == "bias" and not (lo >= 0 and hi <= ADC_MAX):
        raise ParameterError(f"{where}: the bias map must be in [0, {ADC_MAX}] ADU (got "
                             f"{lo:g} to {hi:g})", param="camera_file")
    if base == "dark" and lo < 0:
        raise ParameterError(f"{where}: the dark map must be >= 0 e-/pixel/s everywhere (got "
                             f"{lo:g})", param="camera_file")
    if base == "flat":
        if not lo > 0:
            raise ParameterError(f"{where}: the {kind} map must be > 0 everywhere (got "
                                 f"{lo:g}); a flat of mean 1", param="camera_file")
        mean = float(a.mean())
        if not 0.5 <= mean <= 2:
            raise ParameterError(f"{where}: the {kind} map's mean must be about 1, in "
                                 f"[0.5, 2] (got {mean:g})", param="camera_file")
        if abs(mean - 1) > _FLAT_MEAN_TOLERANCE:
            warnings.warn(f"{where}: the {kind} map's mean is {mean:.6g}; renormalised to "
                          f"mean 1", stacklevel=3)
            a = a / mean
    out = a.astype(np.float32)
    out.flags.writeable = False
    return out


def read_camera_file(path, *, fit=False):
    """Read a camera file: its parameters and its maps, every value checked.

    Parameters
    ----------
    path : str or os.PathLike
        The TOML file (`ccdsim.camera.camerafile` describes it).
    fit : bool, optional
        Also return its ``[fit]`` table (free-form; {} when absent).

    Returns
    -------
    params : dict
        ``{camera parameter (Python name): value}``, as the file sets them.
    maps : dict
        ``{kind: ndarray of float32}``, read-only, of the camera's ``shape``.
    fit : dict
        Only with ``fit=True``.

    Raises
    ------
    ccdsim.ParameterError
        One line naming the file or key and what it may be: an unreadable
        or too large file, an unknown table or key, a value out of its
        range, a map named by a path, missing, unreadable, of the wrong shape,
        with NaN, or out of its kind's range.
    """
    path = os.fspath(path)
    params, names, fit_table, where = read_document(path)
    shape = params.get("shape", DEFAULTS.shape)
    folder = os.path.dirname(os.path.abspath(path))
    maps = {kind: _read_map(os.path.join(folder, name), kind, shape, f"{where}: [maps] {kind}")
            for kind, name in names.items()}
    return (params, maps, fit_table) if fit else (params, maps)


def _read_map(path, kind, shape, where):
    """One map's FITS file, read capped, checked (`check_map`)."""
    from astropy.io import fits

    cap = int(shape[0]) * int(shape[1]) * 8 + _HEADER_SLACK
    raw = read_capped(path, cap, what=f"{where}: map file", param="camera_file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(io.BytesIO(raw), memmap=False) as hdus:
                hdu = next((h for h in hdus if getattr(h, "data", None) is not None
                            and h.is_image), None)
                data = None if hdu is None else np.array(hdu.data)
    except Exception as exc:  # astropy raises many kinds on a damaged file
        raise ParameterError(f"{where}: {os.path.basename(path)} is not a readable FITS "
                             f"image ({cut(exc, 80)})", param="camera_file") from None
    if data is None:
        raise ParameterError(f"{where}: {os.path.basename(path)} holds no image",
                             param="camera_file")
    return check_map(kind, data, shape, f"{where} ({os.path.basename(path)})")


def _stem(path):
    base = os.path.basename(os.fspath(path))
    return base[:-5] if base.lower().endswith(".toml") else base


def write_camera_file(path, params, maps, *, overwrite=False, comment="", fit=None):
    """Write a camera file: ``path`` (TOML) and one FITS file per map beside it.

    The maps are named ``f"{stem}-{kind}.fits"`` (``mycam-bias.fits`` for
    ``mycam.toml``), stored as float32 (what the camera uses). Every value is
    checked as `read_camera_file` checks it; each file is written whole
    (`ccdsim.io.files.atomic_path`), the maps first, the TOML last.

    Parameters
    ----------
    path : str or os.PathLike
        The TOML file; its folder must exist.
    params : dict
        ``{camera parameter (Python name, as `ccdsim.core.params.PARAMS`): value}``.
        None values are left out (the parameter's default).
    maps : dict
        ``{kind: 2-D array of the camera's shape}``: ``bias`` (ADU),
        ``dark`` (e-/pixel/s), ``flat`` and ``flat_<FILTER>`` (mean 1).
    overwrite : bool, optional
        Replace existing files (refused otherwise, before anything is written).
    comment : str, optional
        A first line, written as a TOML comment.
    fit : dict, optional
        The ``[fit]`` table: what the fit measured (free-form TOML values).

    Returns
    -------
    list of str
        The paths written, the maps' then the TOML's.

    Raises
    ------
    ccdsim.ParameterError
        A parameter or map that `read_camera_file` would refuse; an existing
        file without ``overwrite`` (`ccdsim.io.files.OutputError`).
    """
    from astropy.io import fits

    path = os.fspath(path)
    where = f"camera file {cut(path, 200)}"
    unknown = [n for n in params if n not in CAMERA_PARAMS]
    if unknown:
        raise ParameterError(f"{where}: not camera parameters: "
                             f"{', '.join(cut(n, 40) for n in unknown[:8])}",
                             param="camera_file")
    given = {n: v for n, v in params.items() if v is not None}
    checked = check_parameters(given, where)
    shape = checked.get("shape", DEFAULTS.shape)
    data = {kind: check_map(kind, m, shape, f"{where}: map {kind}") for kind, m in maps.items()}
    folder, stem = os.path.dirname(os.path.abspath(path)), _stem(path)
    names = {kind: f"{stem}-{kind}.fits" for kind in data}
    for kind, name in names.items():
        problem = map_name_problem(name)
        if problem:
            raise ParameterError(f"{where}: the {kind} map's name {name!r} {problem} (rename "
                                 f"the camera file)", param="camera_file")
    targets = [os.path.join(os.path.dirname(path), n) for n in names.values()] + [path]
    try:
        check_output_folder(folder, name=where)
    except FileNotFoundError as exc:
        raise OutputError(str(exc), param="output") from None
    if not overwrite:
        for t in targets:
            if os.path.lexists(t):
                raise OutputError(f"output {t} exists (use --overwrite / overwrite=True)",
                                  param="output")
    camera = {PARAMS[n].key: (list(v) if isinstance(v, tuple) else v)
              for n, v in checked.items()}
    doc = {"camera": camera, "maps": dict(names)}
    if fit:
        doc["fit"] = _plain(dict(fit))
    text = document_toml(doc, comment=comment)
    _check_text(text, where)
    written = []
    try:
        for (kind, a), target in zip(data.items(), targets):
            header = fits.Header()
            header["MAPKIND"] = (kind, "camera map kind (ccdsim camera file)")
            header["BUNIT"] = (MAP_UNITS[base_kind(kind)], "unit of the map")
            write_hdulist(fits.HDUList([fits.PrimaryHDU(np.asarray(a), header)]), target,
                          overwrite=overwrite)
            written.append(target)
        with atomic_path(path, overwrite) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
        written.append(path)
    except FileExistsError as exc:
        raise OutputError(str(exc), param="output") from None
    except OSError as exc:
        raise OutputError(f"{where}: cannot write ({describe_os_error(exc)})",
                          param="output") from None
    return written


def _plain(value):
    """``value`` with numpy scalars and arrays as Python numbers and lists (TOML values)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _check_text(text, where):
    """The TOML text must read back (free-form ``fit`` values must be TOML values)."""
    import tomllib

    try:
        tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ParameterError(f"{where}: the [fit] table is not TOML ({cut(exc, 80)})",
                             param="camera_file") from None

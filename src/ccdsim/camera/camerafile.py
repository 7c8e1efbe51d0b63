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

import difflib
import io
import os
import warnings

import numpy as np

from ..core.params import CAMERA_PARAMS, DEFAULTS, PARAMS, check, key_name
from ..core.reading import read_capped
from ..core.validate import ParameterError, cut, short_repr
from ..io.files import OutputError, describe_os_error
from ..io.toml import document_toml, read_toml

__all__ = ["MAP_KINDS", "MAP_UNITS", "REPLACED", "write_camera_file", "read_camera_file",
           "camera_file_parameters", "map_name_problem", "check_map", "complete_parameters",
           "camera_file_problem"]

#: The kinds of map a camera file holds; a filter's own flat is ``flat_<FILTER>``.
MAP_KINDS = ("bias", "dark", "flat")
#: Each kind's unit (FITS ``BUNIT``).
MAP_UNITS = {"bias": "adu", "dark": "electron/(pix s)", "flat": ""}
#: The camera parameters each map replaces, with their values when off.
REPLACED = {
    "bias": {"bad_columns": 0, "bias_gradient": 0.0, "bias_row_rms": 0.0,
             "bias_column_rms": 0.0, "bias_pixel_rms": 0.0, "amplifier_bias_level": ()},
    "dark": {},
    "flat": {"vignetting": 0.0, "dust_spots": 0, "prnu": 0.0, "dead_columns": 0,
             "partial_columns": 0, "low_patches": 0, "thinning": 0.0},
}
#: Defaults that are 0 in a camera with a dark map (they would add to it).
DARK_OFF = {"dark_current": 0.0, "hot_pixel_fraction": 0.0, "hot_above_1": 0.0,
            "hot_above_4": 0.0}
# A flat whose mean is this far from 1 is renormalised with a warning (a fit's is 1).
_FLAT_MEAN_TOLERANCE = 1e-3
# FITS header blocks a map may carry beside its pixels.
_HEADER_SLACK = 64 * 2880
_TABLES = ("camera", "maps", "fit")
_BY_KEY = {}
for _name in CAMERA_PARAMS:
    _BY_KEY[PARAMS[_name].key] = _BY_KEY[_name] = _name


def _base_kind(kind):
    return "flat" if kind.startswith("flat_") else kind


def _kind_problem(kind):
    """What is wrong with ``kind`` as a map's kind, or None."""
    if not isinstance(kind, str):
        return "is not a map kind"
    if kind in MAP_KINDS:
        return None
    if kind.startswith("flat_") and len(kind) > 5:
        try:
            check("filter", kind[5:])
        except ParameterError:
            return "names no filter a frame can carry"
        return None
    return f"is not a map kind ({', '.join(MAP_KINDS)} or flat_<FILTER>)"


def map_name_problem(name):
    """What is wrong with ``name`` as a map's file name, or None.

    A map is named by a label: a plain file name in the camera file's
    folder, never a path (no ``/``, ``\\``, ``..``, drive or absolute name).

    Parameters
    ----------
    name : object
        The value of a ``[maps]`` entry.

    Returns
    -------
    str or None
        One clause for a message, or None.
    """
    if not isinstance(name, str) or not name:
        return "must be a file name (text)"
    if (len(name) > 255 or "/" in name or "\\" in name or ":" in name or name in (".", "..")
            or ".." in name or os.path.isabs(name) or not name.isprintable()
            or name.startswith(".")):
        return "must be a plain file name in the camera file's folder (no path, '/', '\\', '..')"
    if not name.lower().endswith((".fits", ".fit", ".fts")):
        return "must end in .fits (or .fit, .fts)"
    return None


def camera_file_problem(name):
    """What is wrong with ``name`` as a camera file named in a plan, or None.

    Parameters
    ----------
    name : object
        A plan's ``camera_file``: a plain file name in the plan's folder.

    Returns
    -------
    str or None
        One clause for a message, or None.
    """
    if not isinstance(name, str) or not name.lower().endswith(".toml"):
        return "must be a file name ending in .toml"
    problem = map_name_problem(name[:-5] + ".fits")
    return problem and problem.replace("camera file's folder", "plan's folder")


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
    problem = _kind_problem(kind)
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
    base = _base_kind(kind)
    lo, hi = float(a.min()), float(a.max())
    if base == "bias" and not (lo >= 0 and hi <= 65535):
        raise ParameterError(f"{where}: the bias map must be in [0, 65535] ADU (got "
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


def _check_params(raw, where):
    """``{python name: checked value}`` of a ``[camera]`` table (any spelling)."""
    if not isinstance(raw, dict):
        raise ParameterError(f"{where}: [camera] must be a table of parameters",
                             param="camera_file")
    out, unknown = {}, []
    for written, value in raw.items():
        name = _BY_KEY.get(key_name(written))
        if name is None:
            unknown.append(written)
            continue
        if name in out:
            raise ParameterError(f"{where}: [camera] sets {PARAMS[name].key} twice",
                                 param="camera_file")
        out[name] = value
    if unknown:
        close = difflib.get_close_matches(key_name(unknown[0]), list(_BY_KEY), n=1)
        hint = f" (did you mean {PARAMS[_BY_KEY[close[0]]].key}?)" if close else ""
        raise ParameterError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} in "
                             f"[camera]: {', '.join(cut(k, 40) for k in unknown[:8])}{hint}",
                             param="camera_file")
    checked = {}
    for name in CAMERA_PARAMS:  # in the table's order
        if name in out:
            value = out[name]
            if isinstance(value, list):
                value = tuple(value)
            try:
                checked[name] = check(name, value, spelled=PARAMS[name].key)
            except ParameterError as exc:
                raise ParameterError(f"{where}: [camera] {exc}", param="camera_file") from None
    return checked


def complete_parameters(params, kinds):
    """Every camera parameter of a camera with maps of ``kinds``: the file's over the defaults.

    The parameters a map replaces (`REPLACED`, and ``DARK_OFF`` for a dark
    map) default to off; ``bias_level`` is the bias map's median, given as
    ``bias_median``.

    Parameters
    ----------
    params : dict
        The file's parameters (Python names).
    kinds : iterable of str
        The kinds of its maps.

    Returns
    -------
    dict
        ``{name: value}`` of every camera parameter.
    """
    out = {name: getattr(DEFAULTS, name) for name in CAMERA_PARAMS}
    bases = {_base_kind(k) for k in kinds}
    for base in bases:
        out.update(REPLACED[base])
    if "dark" in bases:
        out.update(DARK_OFF)
    out.update(params)
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
    params, names, fit_table, where = _read_document(path)
    shape = params.get("shape", DEFAULTS.shape)
    folder = os.path.dirname(os.path.abspath(path))
    maps = {kind: _read_map(os.path.join(folder, name), kind, shape, f"{where}: [maps] {kind}")
            for kind, name in names.items()}
    return (params, maps, fit_table) if fit else (params, maps)


def camera_file_parameters(path):
    """A camera file's parameters and the kinds of its maps, without reading the maps.

    Parameters
    ----------
    path : str or os.PathLike
        The camera file.

    Returns
    -------
    params : dict
        ``{camera parameter (Python name): value}``, checked.
    kinds : tuple of str
        The kinds its ``[maps]`` names (each name checked, not read).

    Raises
    ------
    ccdsim.ParameterError
        As `read_camera_file`, the maps' contents aside.
    """
    params, names, _, _ = _read_document(os.fspath(path))
    return params, tuple(names)


def _read_document(path):
    """The TOML's ``(params, {kind: file name}, fit, where)``, every key and name checked."""
    doc = read_toml(path, what="camera file")
    where = f"camera file {cut(path, 200)}"
    unknown = [k for k in doc if k not in _TABLES]
    if unknown:
        raise ParameterError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(cut(k, 40) for k in unknown[:8])}; a camera file "
                             f"holds the tables [camera], [maps] and [fit]", param="camera_file")
    params = _check_params(doc.get("camera", {}), where)
    names = doc.get("maps", {})
    if not isinstance(names, dict):
        raise ParameterError(f"{where}: [maps] must be a table of kind = \"file name\"",
                             param="camera_file")
    for kind, name in names.items():
        problem = _kind_problem(kind)
        if problem:
            raise ParameterError(f"{where}: [maps] {cut(kind, 40)} {problem}",
                                 param="camera_file")
        problem = map_name_problem(name)
        if problem:
            raise ParameterError(f"{where}: [maps] {kind} = {short_repr(name)} {problem}",
                                 param="camera_file")
    fit_table = doc.get("fit", {})
    if not isinstance(fit_table, dict):
        raise ParameterError(f"{where}: [fit] must be a table", param="camera_file")
    return params, names, fit_table, where


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

    from ..io.fits import write_hdulist

    path = os.fspath(path)
    where = f"camera file {cut(path, 200)}"
    unknown = [n for n in params if n not in CAMERA_PARAMS]
    if unknown:
        raise ParameterError(f"{where}: not camera parameters: "
                             f"{', '.join(cut(n, 40) for n in unknown[:8])}",
                             param="camera_file")
    given = {n: v for n, v in params.items() if v is not None}
    checked = _check_params(given, where)
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
    if not os.path.isdir(folder):
        raise OutputError(f"{where}: folder {cut(folder, 200)} does not exist", param="output")
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
            header["BUNIT"] = (MAP_UNITS[_base_kind(kind)], "unit of the map")
            write_hdulist(fits.HDUList([fits.PrimaryHDU(np.asarray(a), header)]), target,
                          overwrite=overwrite)
            written.append(target)
        from ..io.files import atomic_path

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

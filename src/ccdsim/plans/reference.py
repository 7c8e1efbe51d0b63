"""The plan-file reference: every table and key of a plan file, its unit and meaning.

`plan_reference` writes it as Markdown (the README's "Plan-file reference"
is this, tested equal). The keys come from the lists the plan reader checks
(`ccdsim.plans.file`, `ccdsim.plans.groups`, `ccdsim.plans.sky`), so a key
added there without a line here fails the test; a key that is a parameter
of the table takes its unit and meaning from `ccdsim.core.params.PARAMS`.
"""

from ..core.params import PARAMS
from .file import TARGET_KEYS, TOP_KEYS
from .groups import COMBINE_KEYS, FLAT_KEYS, GROUP_KEYS
from .sky import FILTER_KEYS, OLD_NAMES, SITE_KEYS

__all__ = ["PLAN_TABLES", "CAMERA_OWN", "plan_reference"]

_TABLE = "a table: see below"
#: A camera's keys besides the camera parameters (`ccdsim.plans.file.CAMERA_KEYS`).
CAMERA_OWN = ("camera", "camera_file", "header", "pixel_scale", "rotation")

#: Keys that are no parameter of the table, or mean something else in a plan:
#: ``{key: (unit, meaning)}``, in every table unless `_IN` says otherwise.
_OWN = {
    "seed": ("", "the plan's seed, an integer >= 0 (default: fresh entropy, recorded as "
                 "`NIGHTSD`); `--seed` wins"),
    "scale": ("", "divide every camera's data section by this on each side (an integer >= 1); "
                  "`--scale` wins"),
    "overhead": ("s", "from one exposure's end to the next one's start (a group's default: "
                      "the plan's)"),
    "quantize": ("", "true: uint16 from the ADC; false: float32 ADU"),
    "moffat": ("", "`[fwhm, beta]`: Moffat stars instead of Gaussians (fwhm in pixels)"),
    "site": ("", _TABLE), "filters": ("", "tables `[filters.NAME]`: see below"),
    "cameras": ("", "tables `[cameras.NAME]`: see below"),
    "targets": ("", "tables `[targets.NAME]`: see below"),
    "groups": ("", "tables `[[groups]]`, in the order they are taken: see below"),
    "camera_file": ("", "a camera file with maps (`ccdsim camera fit` writes one), a plain "
                        "file name beside the plan: its parameters and maps instead of "
                        "`camera`'s; the keys here change its parameters"),
    "header": ("", "a table of header cards: `KEY = value`, `KEY = [value, comment]`, or "
                   "`KEY = [value, comment, \"override\"]` for a key ccdsim writes itself"),
    "amplifiers": ("", "a number of amplifiers, or tables `[[cameras.NAME.amplifiers]]`, "
                       "one per amplifier, of `gain`, `read_noise`, `bias_level`"),
    "object": ("", "`OBJECT` of its science frames (default: the target's name)"),
    "stars": ("", "stars of a field without `ra`/`dec` (the frame's pixels, no magnitudes)"),
    "max_counts": ("ADU", "brightest star's peak over `exposure` (a field without `ra`/`dec`)"),
    "sky": ("ADU", "sky per pixel over `exposure`"),
    "catalog": ("", "ECSV or FITS star catalogue (`ra`, `dec` in deg, `mag_FILTER` or "
                    "`FILTER` columns), relative to the plan file; without one a synthetic "
                    "field"),
    "kind": ("", "bias, dark, flat or science"),
    "numbers": ("", "the files' numbers, a list (instead of `count` and `first`)"),
    "first": ("", "the first file's number (default 1)"),
    "filter": ("", "`FILTER` of the frames (needed for science frames of a target with "
                   "`ra`/`dec`)"),
    "gap": ("s", "from the previous group's end (or the plan's `start`) to this one's start"),
    "folder": ("", "sub-folder of OUTDIR (not `truth/`, never outside OUTDIR)"),
    "imagetyp": ("", "`IMAGETYP` (default: the kind in the plan's `imagetyp_style`)"),
    "target": ("", "the `[targets.NAME]` of science frames (default: the first)"),
    "sky_gradient": ("", "fraction the light changes across the columns, in [-1, 1]"),
    "sky_factor": ("", "the target's sky times this (a brighter sky near dawn)"),
    "bias_offset": ("ADU", "added to the camera's bias level in this group's frames"),
    "flat": ("", _TABLE), "combine": ("", _TABLE),
    "dither": ("arcsec", "each frame pointed at random within this radius of the target"),
    "dither_pattern": ("arcsec", "`[[east, north], ...]`: the frames' offsets in turn "
                                 "(instead of `dither`)"),
    "drift": ("arcsec", "`[east, north]` the pointing drifts during each exposure (trailed "
                        "stars)"),
    "field_rotation": ("deg", "the field turns this much about the frame's centre during "
                              "each exposure, counter-clockwise"),
    "seeing": ("arcsec", "the group's median seeing (FWHM)"),
    "source": ("", "dome (`level` ADU over each exposure) or twilight (`level` over the first "
                   "exposure, then fading)"),
    "level": ("ADU", "mean light before the flat field: one value, or one per frame"),
    "efold": ("s", "twilight: the rate falls as exp(-t / efold) from the first exposure's "
                   "middle"),
    "gradient": ("", "fraction the light changes across the columns, in [-1, 1]"),
    "subtract": ("", "none, bias (a bias drawn beside each frame) or overscan (each row's "
                     "overscan median)"),
    "trim": ("", "true: each frame trimmed to its data section"),
    "overscan_start": ("", "overscan columns skipped before the median"),
    "KEY": ("", "a FITS keyword: value, `[value, comment]` or `[value, comment, "
                "\"override\"]`; printable ASCII or finite numbers; in strings `{nx}`, "
                "`{ny}`, `{NX}`, `{NY}`, `{nx+1}` are the data section's and the read-out "
                "frame's columns and rows"),
}

#: Keys that mean something else in one table: ``{(table, key): (unit, meaning)}``.
_IN = {
    ("top level", "name"): ("", "the plan's name (default: the file's)"),
    ("[[groups]]", "name"): ("", "file-name pattern: `{number}` or `{number:0Nd}` (at most "
                                 "12 digits), printable ASCII without `/`"),
    ("top level", "start"): ("UTC", "the first group's start, ISO 8601 (or a TOML date-time; "
                                    "offsets converted to UTC)"),
    ("[[groups]]", "start"): ("UTC", "the group's first exposure's start (excludes `gap`)"),
    ("[cameras.NAME]", "camera"): ("", "the named camera it starts from "
                                       "(`ccdsim config show --camera NAME`; default: guide)"),
    ("[[groups]]", "camera"): ("", "the `[cameras.NAME]` that takes the frames (default: the "
                                   "first)"),
    ("[targets.NAME]", "exposure"): ("s", "the exposure its `stars`, `max_counts` and `sky` "
                                          "are given for (each frame's scale with its own)"),
    ("[[groups]]", "exposure"): ("s", "one value, or one per frame (biases 0, every other "
                                      "kind > 0)"),
    ("[[groups]]", "count"): ("", "frames in the group (default 1)"),
    ("[groups.combine]", "count"): ("", "frames averaged into the one file"),
    ("[targets.NAME]", "ra"): ("deg", "right ascension (ICRS); with `dec`: its science frames "
                                      "get a TAN WCS and stars from magnitudes"),
    ("[targets.NAME]", "star_density"): ("stars/deg^2", "synthetic field: stars per square "
                                                        "degree brighter than `limiting_mag`"),
    ("[filters.NAME]", "sky_brightness"): ("mag/arcsec^2", "sky surface brightness through "
                                                           "the zero point (instead of the "
                                                           "target's `sky`)"),
}

#: ``(table, what it is, keys)`` of a plan file, in the order the reference shows them.
PLAN_TABLES = (
    ("top level", "the plan", TOP_KEYS),
    ("[cameras.NAME]", "a camera: a named camera and any camera parameter of the table "
                       "(\"Parameters\": `shape = [ny, nx]`, `gain`, ...; `scale` divides "
                       "the data section)", CAMERA_OWN + ("amplifiers",)),
    ("[targets.NAME]", "what science frames look at: a field of stars without `ra`/`dec`, "
                       "a pointing with them", TARGET_KEYS),
    ("[filters.NAME]", "a filter's photometry (a pointing's frames in filter NAME)",
     FILTER_KEYS),
    ("[site]", "the observatory: with each frame's time, its airmass", SITE_KEYS),
    ("[[groups]]", "frames of one kind, taken one after the other", GROUP_KEYS),
    ("[groups.flat]", "a flat group's light", FLAT_KEYS),
    ("[groups.combine]", "one file, the mean of `count` frames each drawn in full",
     COMBINE_KEYS),
    ("[..header]", "a camera's or a group's header cards (a group's after its camera's)",
     ("KEY",)),
)


#: The tables whose keys had other names before (`ccdsim.plans.sky.OLD_NAMES`).
_OLD = {"[site]": OLD_NAMES["site"], "[targets.NAME]": OLD_NAMES["target"]}


def _row(key, table):
    unit, meaning = _IN.get((table, key)) or _OWN.get(key) or (PARAMS[key].unit,
                                                               PARAMS[key].help)
    old = [o for o, new in _OLD.get(table, {}).items() if new == key]
    also = f" (also read as `{old[0]}`)" if old else ""
    return f"| `{key}` | {unit} | {meaning}{also} |"


def plan_reference():
    """Every table and key of a plan file, with its unit and meaning, as Markdown.

    Returns
    -------
    str
    """
    out = []
    for table, what, keys in PLAN_TABLES:
        out += [f"`{table}`: {what}.", "", "| key | unit | meaning |", "| --- | --- | --- |"]
        out += [_row(k, table) for k in keys]
        out.append("")
    return "\n".join(out)

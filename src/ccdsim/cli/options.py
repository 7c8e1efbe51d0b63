"""Command-line options, each defined once and shared by the commands that take it.

An `Option` is one entry of a command's schema: its argparse flag, its TOML
key (the same name, dashes or underscores), its type and the parameter of
`ccdsim.core.params.PARAMS` it sets, whose unit, range, default and help text it
takes. Argparse arguments, configuration-file checking and the effective
configuration are all generated from these records; nothing reads argparse
internals.
"""

import argparse
from dataclasses import dataclass

from ..camera.named import CAMERAS, NIGHT_CAMERA, camera_parameters
from ..core.validate import short_repr
from ..core.params import CAMERA_PARAMS, MOFFAT, PARAMS, key_name, option_name
from ..sky.filters import PER_FILTER

__all__ = ["Option", "param_option", "add_options", "CAMERA", "NIGHT_EFFECTS", "EXPOSURE",
           "OUTPUT", "EXECUTION", "with_camera_defaults"]


@dataclass(frozen=True)
class Option:
    """One command-line option, also a key of configuration files.

    Parameters
    ----------
    dest : str
        Attribute name and TOML key (underscores; dashes accepted in files).
    kind : {'float', 'int', 'text', 'pair', 'switch', 'range', 'per_filter'}
        ``pair``: two numbers (``--shape NY NX``); ``switch``: a flag without
        value (``--no-flat``); ``range``: a value or ``LOW:HIGH`` (batches);
        ``per_filter``: a number, or ``FILTER=VALUE,...`` (each filter its own,
        `ccdsim.sky.filters.per_filter`).
    default : object
        Value when neither the command line nor a file gives one.
    help : str
        Help text (``%`` must be written ``%%``).
    param : str, optional
        The parameter of `ccdsim.core.params.PARAMS` the option sets: errors
        about that parameter name this option.
    flag : str, optional
        The option as typed (default ``--`` + ``dest`` with dashes).
    metavar : str or tuple, optional
        Placeholder(s) in the help.
    group : str
        Help section.
    run_only : bool
        Says how or where a run happens, never what it makes (threads,
        workers, ...): a file may set it, but it is left out of the
        effective configuration that frames record.
    inverted : str, optional
        For a ``no_X`` switch: the TOML key ``X`` that means its opposite
        (``hot_pixels = false`` is ``--no-hot-pixels``).
    store : object
        For a switch: the value it stores when given (True, or False for ``--float``).
    const : object, optional
        The value of an option given without one (``--chunks`` alone).
    also : tuple of (str, str)
        Further parameters the option sets, each with how to name it
        (``("moffat_beta", "--moffat BETA")``).
    sets : tuple of (str, object)
        For a switch that turns an effect off: the camera parameters it sets
        (``--no-flat``: vignetting, dust and PRNU to 0).
    """

    dest: str
    kind: str
    default: object
    help: str
    param: str | None = None
    flag: str | None = None
    metavar: object = None
    group: str = "options"
    run_only: bool = False
    inverted: str | None = None
    store: object = True
    const: object = None
    also: tuple = ()
    sets: tuple = ()

    @property
    def option(self):
        """The flag as typed: ``--read-noise``."""
        return self.flag or option_name(self.dest)

    def toml_type(self):
        """What a configuration file must give, in words."""
        pair = ("numbers", "integers")[self.kind == "pair" and PARAMS[self.param].kind != "float"]
        return {"float": "a number", "int": "an integer", "text": "a string",
                "pair": f"a list of two {pair}", "switch": "true or false",
                "range": "a number or a string LOW:HIGH",
                "per_filter": "a number or a string FILTER=VALUE,FILTER=VALUE",
                "floats": "a list of numbers"}[self.kind]

    def accepts(self, value):
        """True if a TOML value has this option's type."""
        def number(v, integer=False):
            if isinstance(v, bool):
                return False
            return isinstance(v, int) if integer else isinstance(v, (int, float))

        if self.kind == "switch":
            return isinstance(value, bool)
        if self.kind == "pair":
            integer = PARAMS[self.param].kind != "float"  # --shape NY NX, --bin NX NY
            return (isinstance(value, list) and len(value) == 2
                    and all(number(v, integer) for v in value))
        if self.kind in ("float", "int"):
            return number(value, self.kind == "int")
        if self.kind in ("range", "per_filter"):
            return number(value) or isinstance(value, str)
        if self.kind == "floats":  # a matrix may be written row by row
            flat = [v for row in value for v in (row if isinstance(row, list) else [row])] \
                if isinstance(value, list) else None
            return flat is not None and all(number(v) for v in flat)
        return isinstance(value, str)

    def from_toml(self, value):
        """A TOML value (already type-checked) as the command line would give it."""
        if self.kind == "float" or (self.kind == "per_filter" and not isinstance(value, str)):
            return float(value)
        if self.kind == "range":
            return str(value)
        if self.kind == "pair":
            return [float(v) if PARAMS[self.param].kind == "float" else int(v) for v in value]
        if self.kind == "floats":
            return tuple(float(v) for row in value for v in (row if isinstance(row, list)
                                                              else [row]))
        return value


def param_option(name, *, default=None, kind=None, group="options", help=None, **kw):
    """The option that sets parameter ``name`` of the table, with its help text.

    Two parameters typed as one pair (``--bin NX NY``) have one ``pair`` option (``also``).

    Parameters
    ----------
    name : str
        A key of `ccdsim.core.params.PARAMS`.
    default : object, optional
        This command's default (default: the table's).
    kind : str, optional
        The option's kind, if not the parameter's.
    group : str, optional
        Help section.
    help : str, optional
        Help text, if not the table's description.
    **kw
        More `Option` fields.

    Returns
    -------
    Option
    """
    p = PARAMS[name]
    flag, *metavar = p.typed.split() if p.typed else ("",)
    pair = [n for n, q in PARAMS.items() if p.typed and q.typed == p.typed]
    if len(pair) == 2 == len(metavar):  # errors name each number as typed: --bin NX must...
        text = help or "; ".join(f"{m}: {PARAMS[n].describe()}" for n, m in zip(pair, metavar))
        return Option(key_name(flag.removeprefix("--")), "pair", None, text, param=pair[0],
                      metavar=tuple(metavar), group=group,
                      also=tuple((n, f"{flag} {m}") for n, m in zip(pair, metavar)), **kw)
    default = p.default if default is None else default
    kind = kind or {"shape": "pair", "path": "text"}.get(p.kind, p.kind)
    text = help if help is not None else p.describe(default)
    return Option(p.key, kind, default, text.replace("%", "%%"), param=name, group=group, **kw)


def _switch(dest, help, *, param=None, group="options", inverted=None, store=True, **kw):
    return Option(dest, "switch", not store, help, param=param, group=group,
                  inverted=inverted, store=store, **kw)


def add_options(parser, options):
    """Add ``options`` to an argparse ``parser``, in help sections by group.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        One command's parser.
    options : sequence of Option
        Its options.
    """
    groups = {}
    for o in options:
        if o.group not in groups:
            groups[o.group] = parser.add_argument_group(o.group)
        g = groups[o.group]
        if o.kind == "switch":
            g.add_argument(o.option, dest=o.dest, action="store_const", const=o.store,
                           default=o.default, help=o.help)
            continue
        kw = dict(dest=o.dest, default=o.default, help=o.help, metavar=o.metavar)
        if o.kind == "pair":
            kw.update(nargs=2, type=float if PARAMS[o.param].kind == "float" else int)
        elif o.kind in ("float", "int", "per_filter"):
            kw.update(type=_number(o.kind, o.option))
        if o.const is not None:
            kw.update(nargs="?", const=o.const)
        g.add_argument(o.option, **kw)


def _number(kind, flag):
    """argparse type: the number, or a one-line error naming ``flag``."""
    def convert(text):
        try:
            return int(text) if kind == "int" else float(text)
        except ValueError:
            if kind == "per_filter":  # FILTER=VALUE,...: read with the frames' filters
                return text
            what = "an integer" if kind == "int" else "a number"
            raise argparse.ArgumentTypeError(f"{flag} must be {what} (got "
                                             f"{short_repr(text)})") from None

    convert.__name__ = kind
    return convert


# Option groups, shared by the commands --------------------------------------


def camera_options(preset=None):
    """The camera's options; ``preset`` (Camera keywords) sets this command's defaults.

    Parameters
    ----------
    preset : dict, optional
        Defaults that differ from the table's (a named camera).

    Returns
    -------
    list of Option
    """
    preset = preset or {}
    g = "camera"
    return [
        param_option("shape", default=preset.get("shape"), metavar=("NY", "NX"), group=g),
        param_option("gain", default=preset.get("gain"), group=g),
        param_option("read_noise", default=preset.get("read_noise"), group=g),
        param_option("bias_level", default=preset.get("bias_level"), group=g),
        param_option("dark_current", default=preset.get("dark_current"), group=g),
        param_option("camera_seed", default=preset.get("camera_seed"), group=g,
                     help="camera identity: where its defects are (default: the guide's "
                          "camera)"),
        param_option("bad_columns", default=preset.get("bad_columns"), metavar="N", group=g),
        _switch("no_bad_columns", "no bad bias columns (same as --bad-columns 0)",
                param="bad_columns", group=g, sets=(("bad_columns", 0),)),
        param_option("hot_pixel_fraction", default=preset.get("hot_pixel_fraction"), group=g),
        param_option("hot_pixel_factor", default=preset.get("hot_pixel_factor"), group=g),
        _switch("no_hot_pixels", "no hot pixels (same as --hot-pixel-fraction 0)",
                param="hot_pixel_fraction", group=g, inverted="hot_pixels",
                sets=(("hot_pixel_fraction", 0.0),)),
    ]


CAMERA = camera_options()
# Camera parameters with options written out above (the rest are generated).
_EXPLICIT = ("shape", "gain", "read_noise", "bias_level", "dark_current", "camera_seed",
             "bad_columns", "hot_pixel_fraction", "hot_pixel_factor", "vignetting",
             "dust_spots", "prnu", "full_well", "overscan", "cosmic_ray_rate", "pixel_size")


def named_camera_option(default):
    """``--camera NAME``: a named camera's parameters as this command's defaults."""
    return Option("camera", "text", default, f"a named camera whose parameters are the "
                  f"defaults (a config file and the flags still win): {', '.join(CAMERAS)} "
                  f"(default: {default}; `ccdsim config show --camera NAME` prints one)",
                  param="camera", group="camera", metavar="NAME")


def effect_options(preset):
    """Flat field, full well, overscan and cosmic rays, with ``preset``'s defaults.

    Parameters
    ----------
    preset : dict
        Camera keywords whose values are this command's defaults.

    Returns
    -------
    list of Option
    """
    g = "camera effects"
    d = {k: preset.get(k, PARAMS[k].default) for k in NIGHT_CAMERA}
    return [
        _switch("no_flat", f"uniform sensitivity (default: vignetting {d['vignetting']:g}, "
                f"{d['dust_spots']} dust donuts, PRNU {d['prnu']:g})", group=g,
                inverted="flat", sets=(("vignetting", 0.0), ("dust_spots", 0), ("prnu", 0.0))),
        param_option("vignetting", default=d["vignetting"], group=g),
        param_option("dust_spots", default=d["dust_spots"], metavar="N", group=g),
        param_option("prnu", default=d["prnu"], group=g),
        param_option("full_well", default=d["full_well"], group=g),
        _switch("no_full_well", "unlimited pixel capacity", param="full_well", group=g,
                sets=(("full_well", None),)),
        param_option("overscan", default=d["overscan"], metavar="NCOL", group=g),
        _switch("no_overscan", "no overscan columns", param="overscan", group=g,
                sets=(("overscan", 0),)),
        param_option("cosmic_ray_rate", default=d["cosmic_ray_rate"], group=g),
        _switch("no_cosmic_rays", "no cosmic rays", param="cosmic_ray_rate", group=g,
                inverted="cosmic_rays", sets=(("cosmic_ray_rate", 0.0),)),
        param_option("pixel_size", group=g),
        # Every other camera parameter (the personalities): one option each, --bin NX NY for two.
        *{o.dest: o for o in (param_option(n, default=preset.get(n), group="camera personalities")
                             for n in CAMERA_PARAMS if n not in _EXPLICIT)}.values(),
    ]


NIGHT_EFFECTS = effect_options(NIGHT_CAMERA)


def with_camera_defaults(options, name):
    """``options`` with named camera ``name``'s values as their defaults (what --help shows).

    The options a command's camera groups generate (`camera_options`,
    `effect_options`) are made again with the camera's values; every other
    option is kept.

    Parameters
    ----------
    options : sequence of Option
        A command's options (with ``--camera``).
    name : str
        A named camera (`ccdsim.camera.named.CAMERAS`).

    Returns
    -------
    tuple of Option

    Raises
    ------
    ccdsim.ParameterError
        An unknown camera (the message lists the known ones).
    """
    camera_parameters(name)  # an unknown name is refused here
    made = {o.dest: o for o in (*camera_options(CAMERAS[name]), *effect_options(CAMERAS[name]))}
    return tuple(made.get(o.dest, o) for o in options)


def exposure_options(group="exposure"):
    """Exposure time, sky and stars."""
    return [
        param_option("exposure_time", group=group),
        param_option("sky", group=group),
        param_option("stars", metavar="N", group=group),
        param_option("max_counts", group=group),
        param_option("star_sigma", group=group),
        moffat_option(group),
    ]


def moffat_option(group):
    """``--moffat FWHM BETA``, as the table types it: one option, both Moffat parameters."""
    return param_option(MOFFAT[0], group=group, help="Moffat stars of this FWHM (pixels) and "
                        "beta instead of Gaussians")


EXPOSURE = exposure_options()

# --float stores into `quantize`, its configuration key since the first release.
FLOAT = _switch("quantize", "write float32 ADU without ADC rounding or clipping (default: "
                "uint16 from the ADC)", param="quantize", store=False, group="output",
                flag="--float")

#: How a frame of several amplifiers is written (`ccdsim.io.amplifiers`).
LAYOUT = param_option("layout", group="output")

OUTPUT = [
    _switch("overwrite", "replace existing files (never done otherwise)", group="output",
            run_only=True),
    param_option("threads", group="output", run_only=True),
    _switch("quiet", "no progress bar (shown on a terminal otherwise)", group="output",
            run_only=True),
]

EXECUTION = [
    param_option("workers", metavar="N", group="execution (the pixels are the same "
                 "wherever they are made)", run_only=True),
    Option("scheduler", "text", None, "run on an existing dask.distributed scheduler, "
           "tcp://host:port", metavar="ADDRESS", group="execution (the pixels are the same "
           "wherever they are made)", run_only=True),
]


_SKY = "sky (off unless --ra and --dec are given: a TAN WCS, stars from magnitudes)"
_EACH = "; one value for every filter, or FILTER=VALUE,FILTER=VALUE for each (V=5e8,R=6e8)"
#: A pointing, its stars and its sky: `ccdsim.plans.sky`; the photometry per filter.
SKY_POINTING = [param_option(name, group=_SKY) if name not in PER_FILTER else
                param_option(name, group=_SKY, kind="per_filter", metavar="VALUE|FILTER=VALUE,...",
                             help=PARAMS[name].describe() + _EACH) for name in (
    "ra", "dec", "pixel_scale", "rotation", "catalog", "zero_point", "extinction", "airmass",
    "sky_brightness", "seeing", "star_density", "limiting_mag", "bright_mag", "count_slope")]
#: The site: with a time, the airmass of a pointing.
SKY_SITE = [param_option(name, group=_SKY) for name in (
    "site_latitude", "site_longitude", "site_elevation")]
#: What a night adds to a pointing: the site (airmass from the time), dithers, seeing scatter.
SKY_NIGHT = [*SKY_SITE, *(param_option(name, group=_SKY) for name in ("dither",
                                                                       "seeing_jitter"))]

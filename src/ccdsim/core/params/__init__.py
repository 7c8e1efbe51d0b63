"""The parameter table: every parameter of ccdsim, defined once.

Each `Param` holds a parameter's name in Python, its unit, default, allowed
range, FITS keyword and comment, help text and the name it goes by on the
command line (and in TOML files, with dashes or underscores). Validation of
cameras, exposures, nights and batches, the command-line options, the TOML
schema, the batch ranges, the FITS header cards and the explorer's labels
are all derived from it: adding a parameter is one entry here.

A light module (no third-party imports), so the command line can build its
options and help without loading numpy.
"""

from datetime import date, datetime, timezone

from .parameter import MAX_AMPLIFIERS, MAX_FLOATS, Param, key_name, option_name
from ..validate import MAX_SIDE, MIN_GAIN, ParameterError, cut

__all__ = ["MAX_PLAN_FRAMES", "MAX_AMPLIFIERS", "MAX_FLOATS", "MAX_BRIGHTER_FATTER", "MAX_BINNING", "ADC_MAX", "BLOCK_ROWS", "BATCH_PARAMS", "EXPLORER_HOST",
           "EXPLORER_MAX_SIDE", "EXPLORER_SHAPE", "MOFFAT", "Param", "PARAMS", "DEFAULTS", "check",
           "check_moffat", "param", "option_name", "key_name", "parse_start", "utc",
           "markdown_table", "IMAGETYP_STYLES"]

#: The ADC's largest value: a 16-bit converter (ADU).
ADC_MAX = 65535
#: Rows per noise block. Part of the definition of a frame's pixels: changing it
#: changes every frame made from a given seed.
BLOCK_ROWS = 128
#: Largest brighter-fatter strength, 1/e- (-a00 of real CCDs: 1e-6 to 3e-6).
MAX_BRIGHTER_FATTER = 1e-4
#: Largest binning factor along a row or a column (cameras offer 1 to 4, some up to 16).
MAX_BINNING = 16
#: Rows per band of a frame made in bands (``--chunks`` given alone).
DEFAULT_CHUNK_ROWS = 1024

# The explorer draws every frame while a slider moves: it keeps frames small.
#: Largest frame side the explorer makes, in pixels.
EXPLORER_MAX_SIDE = 2000
#: The explorer's frame size at start, ``(ny, nx)`` in pixels.
EXPLORER_SHAPE = (500, 500)
#: Where the explorer listens unless told otherwise: this machine only (IPv4 loopback).
EXPLORER_HOST = "127.0.0.1"

#: A Moffat profile's parameters, in the order of its pair ``(fwhm, beta)``.
MOFFAT = ("moffat_fwhm", "moffat_beta")
# How the pair is typed: one option, its two numbers (``--moffat`` FWHM BETA).
_MOFFAT_TYPED = "--moffat FWHM BETA"


#: IMAGETYP values by style (``--imagetyp-style``): ``guide`` as the Astropy CCD
#: guide's chapters filter on them (``files_filtered(imagetyp='BIAS')``); ``maxim`` as
#: MaxIm DL writes them; ``nina`` as N.I.N.A. does (its ImageTypes: LIGHT, DARK, FLAT,
#: BIAS, and DARKFLAT for darks at the flats' exposure); ``asiair`` as ZWO's ASIAIR does
#: (title case, the first word of its file names: ``Light_...``, ``Dark_...``; public
#: fixtures of ASIAIR files show IMAGETYP 'Bias', the other three are assumed alike).
#: SharpCap has none here: the SharpCap 3 and 4.1 headers seen in public code carry no
#: IMAGETYP. ``darkflat``: a night's darks at the flats' exposure, in a style that
#: names them apart (else they are ``dark``).
IMAGETYP_STYLES = {
    "guide": {"bias": "BIAS", "dark": "DARK", "flat": "FLAT", "science": "LIGHT"},
    "maxim": {"bias": "Bias Frame", "dark": "Dark Frame", "flat": "Flat Field",
              "science": "Light Frame"},
    "nina": {"bias": "BIAS", "dark": "DARK", "flat": "FLAT", "science": "LIGHT",
             "darkflat": "DARKFLAT"},
    "asiair": {"bias": "Bias", "dark": "Dark", "flat": "Flat", "science": "Light"},
}


def _table(*params):
    return {p.name: p for p in params}


_SEED_MAX = 2**63 - 1

#: Every parameter, by its Python name. Camera parameters first, in the
#: order of `ccdsim.Camera`'s fields (also the header's order).
PARAMS = _table(
    # The camera ---------------------------------------------------------------
    Param("shape", "shape", (2000, 2000), "pixels", 1, MAX_SIDE,
          help="frame size (data section)"),
    Param("gain", "float", 1.0, "e-/ADU", MIN_GAIN, 1e3, fits="GAIN", help="gain"),
    Param("read_noise", "float", 5.0, "e-", 0, 1e4, fits="RDNOISE", help="read noise"),
    Param("bias_level", "float", 1100.0, "ADU", 0, ADC_MAX, fits="BIASLEV", help="bias level",
          option="bias"),
    Param("dark_current", "float", 0.1, "e-/pixel/s", 0, 1e6, fits="DARKCUR",
          help="dark current"),
    Param("bad_columns", "int", 5, "", 0, MAX_SIDE, fits="NBADCOL",
          help="number of bad bias columns"),
    Param("hot_pixel_fraction", "float", 1e-4, "", 0, 1, fits="HOTFRAC",
          help="fraction of hot pixels"),
    Param("hot_pixel_factor", "float", 1e4, "", 0, 1e6, fits="HOTFACT",
          help="hot pixels' dark current / dark current"),
    Param("camera_seed", "int", 8392, "", 0, _SEED_MAX, fits="CAMSEED",
          help="camera identity: where its defects are"),
    Param("vignetting", "float", 0.0, "", 0, 0.9, fits="VIGNET",
          help="flat: fractional light loss in the corners"),
    Param("dust_spots", "int", 0, "", 0, 10**5, fits="NDUST",
          help="flat: number of dust donuts", option="dust"),
    Param("prnu", "float", 0.0, "", 0, 0.5, fits="PRNU",
          help="flat: pixel response non-uniformity (rms fraction)"),
    Param("full_well", "float", None, "e-", 0, 1e8, low_open=True, optional=True,
          fits="FULLWELL", help="full well (charge above it bleeds along the column)"),
    Param("overscan", "int", 0, "", 0, 10**4,
          help="overscan columns (bias and read noise only)"),
    Param("cosmic_ray_rate", "float", 0.0, "events/cm^2/s", 0, 1e3, fits="CRRATE",
          help="cosmic-ray rate"),
    Param("pixel_size", "float", 15.0, "um", 0, 1e3, low_open=True, fits="PIXSIZE",
          help="pixel pitch"),
    # Camera personalities, each block its own effect (all off by default) ------
    # [dark side: glow, hot-pixel population]
    Param("glow_rate", "float", 0.0, "e-/pixel/s", 0, 1e6, fits="GLOWRATE",
          help="glow at its sources (0: none)"),
    Param("glow_length", "float", 20.0, "pixels", 0, 1e6, low_open=True, fits="GLOWLEN",
          help="glow's decay length from its sources"),
    Param("glow_sources", "text", "left,right", "", fits="GLOWSRC",
          help="edges and corners that glow"),
    Param("glow_readout_time", "float", 10.0, "s", 0, 1e5, fits="GLOWREAD",
          help="read-out time: glow collected beyond the exposure"),
    Param("hot_above_1", "float", 0.0, "", 0, 1, fits="HOTABOV1",
          help="hot-pixel tail: fraction of pixels above 1 e-/s (0: none)"),
    Param("hot_above_4", "float", 0.0, "", 0, 1, fits="HOTABOV4",
          help="hot-pixel tail: fraction of pixels above 4 e-/s"),
    Param("hot_fixed_time", "float", 0.0, "s", 0, 1e6, fits="HOTFIXT",
          help="hot-pixel tail: charge that does not grow with exposure, each pixel's rate "
               "times this time"),
    Param("hot_unstable_fraction", "float", 0.0, "", 0, 1, fits="HOTUNST",
          help="hot-pixel tail: fraction that switches rate frame to frame"),
    Param("hot_unstable_ratio", "float", 0.1, "", 0, 1e3, fits="HOTURAT",
          help="hot-pixel tail: unstable pixels' second rate / first rate"),

    # [end dark side]
    #
    # [bias and overscan: drift, jitter, structure, overscan offset, rows, leakage]
    Param("bias_drift", "float", 0.0, "ADU/hour", -1e4, 1e4, fits="BIASDRFT",
          help="bias drift through the night (x the frame's clock)"),
    Param("bias_jitter", "float", 0.0, "ADU", 0, 1e4, fits="BIASJITR",
          help="rms of each frame's own bias offset"),
    Param("bias_gradient", "float", 0.0, "ADU", -1e4, 1e4, fits="BIASGRAD",
          help="bias rise from the first to the last data pixel (corner to corner)"),
    Param("bias_row_rms", "float", 0.0, "ADU", 0, 1e4, fits="BIASROWS",
          help="rms of the bias row pattern"),
    Param("bias_column_rms", "float", 0.0, "ADU", 0, 1e4, fits="BIASCOLS",
          help="rms of the bias column pattern"),
    Param("overscan_offset", "float", 0.0, "ADU", -ADC_MAX, ADC_MAX, fits="OVSCOFF",
          help="overscan level minus the image's bias level"),
    Param("overscan_rows", "int", 0, "", 0, 10**4,
          help="overscan rows read out after the data rows"),
    Param("overscan_leak", "float", 0.0, "", 0, 1, fits="OVSCLEAK",
          help="fraction of a row's last data pixel's charge in its first overscan column"),
    Param("overscan_leak_length", "float", 1.0, "columns", 0, 1e3, low_open=True,
          fits="OVSCLLEN", help="e-folding length of the leak into the overscan"),
    Param("overscan_dark", "float", 0.0, "e-/pixel/s", 0, 1e6, fits="OVSCDARK",
          help="dark current of the overscan pixels"),

    # [end bias and overscan]
    #
    # [light side: flat cosmetics, per-filter flats, shutter]
    Param("dead_columns", "int", 0, "", 0, MAX_SIDE, fits="NDEADCOL",
          help="flat: columns that see no light (sensitivity 0)"),
    Param("partial_columns", "int", 0, "", 0, MAX_SIDE, fits="NPARTCOL",
          help="flat: columns of low sensitivity from a random row to the top"),
    Param("low_patches", "int", 0, "", 0, 10**5, fits="NPATCH",
          help="flat: number of low-sensitivity patches"),
    Param("patch_size", "float", 20.0, "pixels", 1, 1e3, fits="PATCHSIZ",
          help="flat: diameter of the low-sensitivity patches"),
    Param("patch_depth", "float", 0.3, "", 0, 1, fits="PATCHDEP",
          help="flat: fraction of light the patches lose"),
    Param("thinning", "float", 0.0, "", 0, 0.5, fits="THINNING",
          help="flat: large-scale thinning pattern (rms fraction)"),
    Param("filter_flat", "float", 0.0, "", 0, 0.5, fits="FILTFLAT",
          help="flat: each filter's own large-scale component (rms fraction)"),
    Param("shutter_delay", "float", 0.0, "s", 0, 100, fits="SHUTDLY",
          help="shutter: exposure lost at the edge relative to the centre"),
    Param("shutter_kind", "text", "iris", fits="SHUTKIND",
          help="shutter kind: iris (radial) or blade (linear)"),
    Param("shutter_blades", "int", 6, "", 1, 64, fits="SHUTBLAD",
          help="shutter: number of iris blades (the starfish's arms)"),

    # [end light side]
    #
    # [response: nonlinearity, persistence]
    Param("nonlinearity", "float", 0.0, "", -0.5, 0.5, fits="NONLIN",
          help="response: fractional deviation from linear at nonlinearity_level"),
    Param("nonlinearity_level", "float", 55000.0, "ADU", 0, ADC_MAX, low_open=True,
          fits="NONLINLV", help="response: signal above bias where the deviation is given"),
    Param("persistence", "float", 0.0, "", 0, 1, fits="PERSFRAC",
          help="persistence: fraction of charge over the full well released later"),
    Param("persistence_time", "float", 300.0, "s", 0, 1e6, low_open=True, fits="PERSTAU",
          help="persistence: e-folding time of the release"),
    # [end response]
    #
    # [read-out chain: amplifiers, crosstalk, charge transfer, brighter-fatter]
    Param("amplifiers", "int", 1, "", 1, MAX_AMPLIFIERS, fits="NAMPS",
          help="output amplifiers: 1, 2 side by side, or an even number in 2 rows"),
    Param("prescan", "int", 0, "columns", 0, 10**4, fits="PRESCAN",
          help="prescan columns each amplifier reads before its data"),
    Param("amplifier_gain", "floats", (), "e-/ADU", MIN_GAIN, 1e3,
          help="each amplifier's gain, A, B, ... (default: gain for all)"),
    Param("amplifier_read_noise", "floats", (), "e-", 0, 1e4,
          help="each amplifier's read noise (default: read_noise for all)"),
    Param("amplifier_bias_level", "floats", (), "ADU", 0, ADC_MAX,
          help="each amplifier's bias level (default: bias_level for all)"),
    Param("crosstalk", "floats", (), "", -0.1, 0.1, help="crosstalk: one coefficient for every "
          "pair of amplifiers, or N x N (victim by row, source by column, diagonal 0)"),
    Param("cti_parallel_density", "floats", (), "traps/pixel", 0, 1e3,
          help="parallel CTI: each trap species' density"),
    Param("cti_parallel_release", "floats", (), "transfers", 0, 1e6, low_open=True,
          help="parallel CTI: each trap species' release time"),
    Param("cti_serial_density", "floats", (), "traps/pixel", 0, 1e3,
          help="serial CTI: each trap species' density"),
    Param("cti_serial_release", "floats", (), "transfers", 0, 1e6, low_open=True,
          help="serial CTI: each trap species' release time"),
    Param("cti_well_depth", "float", 1e5, "e-", 0, 1e8, low_open=True, fits="CTIWELL",
          help="CTI: charge that fills the whole pixel volume"),
    Param("cti_well_notch", "float", 0.0, "e-", 0, 1e8, fits="CTINOTCH",
          help="CTI: charge below which a packet reaches no traps"),
    Param("cti_well_power", "float", 0.58, "", 0, 1, low_open=True, fits="CTIPOWER",
          help="CTI: volume a packet fills = ((n - notch) / (depth - notch)) ** power"),
    Param("brighter_fatter", "float", 0.0, "1/e-", 0, MAX_BRIGHTER_FATTER, fits="BFSTREN",
          help="brighter-fatter: -a00, a flat's variance loss per electron (Astier et al. 2019)"),
    # [end read-out chain]
    # CMOS sensors, binning and the rolling shutter ------------------------------
    Param("sensor", "text", "ccd", fits="SENSOR",
          help="sensor kind: ccd (charge clocked to an output amplifier) or cmos (each pixel "
          "read through its column's converter: no charge transfer)"),
    Param("gain_mode", "text", "", fits="GAINMODE",
          help="a named camera's gain mode, which sets its gain, read noise and full well; an "
          "unknown one is refused with the list (default: none, the camera's own values)"),
    Param("adc_bits", "int", 16, "bits", 8, 16, fits="ADCBITS",
          help="the converter's bits; its values are shifted left to 16 bits, so they come "
          "in steps of 2**(16 - bits) ADU (gain is per ADU of the file)"),
    Param("bias_pixel_rms", "float", 0.0, "ADU", 0, 1e4, fits="BIASPIXR",
          help="pixel-to-pixel offset non-uniformity, rms (fixed pattern, camera seed)"),
    Param("column_gain_rms", "float", 0.0, "", 0, 0.5, fits="COLGAINR",
          help="column-to-column gain non-uniformity of CMOS column amplifiers, rms "
          "fraction (fixed pattern, camera seed)"),
    Param("row_noise", "float", 0.0, "e-", 0, 1e4, fits="ROWNOISE",
          help="row temporal noise: each row's offset, drawn afresh every frame, rms"),
    Param("rts_fraction", "float", 0.0, "", 0, 0.1, fits="RTSFRAC",
          help="fraction of pixels with random-telegraph signal (RTS), camera seed"),
    Param("rts_amplitude", "float", 20.0, "e-", 0, 1e5, low_open=True, fits="RTSAMP",
          help="RTS pixels' mean step between levels (each pixel's drawn exponentially)"),
    Param("rts_three_level", "float", 0.2, "", 0, 1, fits="RTS3LEV",
          help="fraction of RTS pixels with three levels (the others have two)"),
    Param("rts_dwell_time", "float", 10.0, "s", 0, 1e6, low_open=True, fits="RTSDWELL",
          help="RTS pixels' typical mean dwell time in a level (each level's drawn "
          "log-uniform within 10x of it): sets how often each level is seen"),
    Param("line_time", "float", 0.0, "s", 0, 1, fits="LINETIME",
          help="rolling shutter: each row's exposure starts this long after the previous "
          "row's (0: a global shutter)"),
    Param("xbinning", "int", 1, "pixels", 1, MAX_BINNING, fits="XBINNING",
          help="binning along rows (columns summed)", typed="--bin NX NY"),
    Param("ybinning", "int", 1, "pixels", 1, MAX_BINNING, fits="YBINNING",
          help="binning along columns (rows summed)", typed="--bin NX NY"),
    Param("serial_full_well", "float", None, "e-", 0, 1e8, low_open=True, optional=True,
          fits="SERFWELL", help="CCD binning: the serial register's full well, which binned "
          "charge cannot exceed (none: no limit)"),
    Param("bin_mode", "text", "sum", fits="BINMODE",
          help="CMOS binning, done on the digital values after the converter: sum or average"),
    # [end CMOS]
    # An exposure --------------------------------------------------------------
    Param("exposure_time", "float", 100.0, "s", 0, 1e6, fits="EXPTIME", help="exposure time",
          option="exposure"),
    Param("sky", "float", 20.0, "ADU", 0, 1e9, fits="SKYADU",
          help="sky per pixel over the exposure"),
    Param("stars", "int", 50, "", 0, 10**7, fits="NSTARS", help="number of stars (random ones, or the catalogue's)"),
    Param("max_counts", "float", 2000.0, "ADU", 0, 1e9, low_open=True, fits="MAXCNTS",
          help="largest random star peak; peaks uniform in [max/10, max]"),
    Param("star_sigma", "float", 4.0, "pixels", 0.01, 1e3, fits="STARSIG",
          help="Gaussian sigma of the stars"),
    Param("moffat_fwhm", "float", None, "pixels", 0, 1e3, low_open=True, optional=True,
          fits="MOFFWHM", help="Moffat FWHM of the stars", typed=_MOFFAT_TYPED),
    Param("moffat_beta", "float", None, "", 1, 100, low_open=True, optional=True,
          fits="MOFBETA", help="Moffat beta of the stars", typed=_MOFFAT_TYPED),
    Param("quantize", "bool", True, fits="QUANTIZ", typed="--float (sets false)",
          help="rounded and clipped to 0..65535 by the ADC (else float32 ADU)"),
    Param("seed", "int", None, "", 0, None, optional=True,
          help="seed of the frame's noise and random stars"),
    Param("threads", "int", None, "", 1, 1024, optional=True,
          help="worker threads; never changes the pixels"),
    # A night ------------------------------------------------------------------
    Param("n_bias", "int", 5, "", 0, 10**4, help="bias frames"),
    Param("n_dark", "int", 5, "", 0, 10**4, help="dark frames at the science exposure"),
    Param("n_flat", "int", 5, "", 0, 10**4, help="flat fields"),
    Param("n_science", "int", 5, "", 0, 10**4, help="science frames"),
    Param("flat_level", "float", 20000.0, "ADU", 0, ADC_MAX, low_open=True, fits="FLATLEV",
          help="mean flat light before the flat field"),
    Param("flat_exposure", "float", 5.0, "s", 0, 1e6, low_open=True,
          help="flat exposure time"),
    Param("ptc_pairs", "int", 0, "", 0, 500,
          help="photon-transfer series: flat pairs at levels rising evenly to ptc_max_level"),
    Param("ptc_max_level", "float", 40000.0, "ADU", 0, ADC_MAX, low_open=True,
          help="photon-transfer series: mean light of its last pair before the flat field"),
    Param("layout", "text", "assembled", help="frames of several amplifiers: one image, "
          "their sections in the header (assembled), or one HDU each (amplifiers)"),
    Param("filter", "text", "R", fits="FILTER", help="filter in the beam"),
    Param("object", "text", "ccdsim field", fits="OBJECT", help="target of the science frames"),
    Param("start", "text", "2026-03-20T19:00:00", "UTC",
          help="DATE-OBS of the first frame, ISO 8601"),
    Param("overhead", "float", 10.0, "s", 0, 1e5,
          help="time from the end of one exposure to the start of the next"),
    Param("dark_exposures", "text", "", "s",
          help="comma-separated dark exposure times (default: the science exposure)"),
    Param("filters", "text", "",
          help="comma-separated filters of the flats and science frames (default: --filter)"),
    Param("imagetyp_style", "text", "guide", help="IMAGETYP spelling: " + ", ".join(
        f"{name} ({', '.join(words.values())})" for name, words in IMAGETYP_STYLES.items())),
    # The sky: pointing, site, magnitudes, atmosphere (off unless a pointing is given)
    Param("ra", "float", None, "deg", 0, 360, optional=True, fits="RA",
          help="pointing right ascension (ICRS); with --dec: a TAN WCS in the header"),
    Param("dec", "float", None, "deg", -90, 90, optional=True, fits="DEC",
          help="pointing declination (ICRS)"),
    Param("pixel_scale", "float", 0.5, "arcsec/pixel", 0, 3600, low_open=True,
          fits="PIXSCALE", help="pixel scale on the sky"),
    Param("rotation", "float", 0.0, "deg", -360, 360, fits="ROTANG",
          help="position angle of the image's +y axis, east of north"),
    Param("catalog", "path", None, optional=True,
          help="ECSV or FITS star catalogue: ra, dec (deg), mag_FILTER"),
    Param("zero_point", "float", 3e9, "e-/s", 0, 1e15, low_open=True, fits="ZEROPT",
          help="electrons per second from a magnitude-0 star above the atmosphere"),
    Param("extinction", "float", 0.0, "mag/airmass", 0, 10, fits="EXTINCT",
          help="atmospheric extinction in the filter"),
    Param("airmass", "float", None, "", 1, 100, optional=True, fits="AIRMASS",
          help="airmass (default: from the site, time and pointing, else 1)"),
    Param("sky_brightness", "float", None, "mag/arcsec^2", 0, 40, optional=True,
          fits="SKYMAG", help="sky surface brightness (replaces --sky when given)"),
    Param("seeing", "float", None, "arcsec", 0.01, 100, optional=True, fits="SEEING",
          help="seeing, the stars' FWHM (default: --star-sigma in pixels)"),
    Param("seeing_jitter", "float", 0.0, "", 0, 2,
          help="frame-to-frame seeing scatter (sigma of its natural log)"),
    Param("dither", "float", 0.0, "arcsec", 0, 36000,
          help="science frames pointed at random within this radius of the target"),
    Param("site_latitude", "float", None, "deg", -90, 90, optional=True, fits="SITELAT",
          help="observatory latitude"),
    Param("site_longitude", "float", None, "deg", -180, 360, optional=True, fits="SITELONG",
          help="observatory longitude, east positive"),
    Param("site_elevation", "float", 0.0, "m", -500, 10000, fits="SITEELEV",
          help="observatory elevation"),
    Param("star_density", "float", 2000.0, "stars/deg^2", 0, 1e8,
          help="synthetic field: stars per square degree brighter than --limiting-mag"),
    Param("limiting_mag", "float", 20.0, "mag", -30, 40,
          help="synthetic field: faintest magnitude"),
    Param("bright_mag", "float", 12.0, "mag", -30, 40,
          help="synthetic field: brightest magnitude"),
    Param("count_slope", "float", 0.3, "dex/mag", 0, 2,
          help="synthetic field: d log10 N / dm of the number counts"),
    # A data set from an observing plan -------------------------------------------
    Param("scale", "int", 1, "", 1, 64,
          help="divide every camera's data section by this on each side (small data sets)"),
    # A batch ------------------------------------------------------------------
    Param("n", "int", None, "", 1, 10**7, help="number of frames"),
    # Where and how a run happens ------------------------------------------------
    Param("workers", "int", None, "", 1, 256, optional=True,
          help="run on a local Dask cluster of N worker processes"),
    # Whole noise blocks (`BLOCK_ROWS`).
    Param("chunks", "int", None, "rows", BLOCK_ROWS, MAX_SIDE, optional=True,
          help=f"rows per band for frames larger than memory (a multiple of {BLOCK_ROWS})"),
    Param("port", "int", 5006, "", 0, 65535, help="TCP port, 0 for any free one"),
    Param("camera", "text", "guide", help="a named camera (ccdsim.camera.named.CAMERAS)"),
)


class _Defaults:
    """Attribute access to the defaults: ``DEFAULTS.star_sigma`` is 4.0."""

    def __getattr__(self, name):
        try:
            return PARAMS[name].default
        except KeyError:
            raise AttributeError(name) from None


#: ``DEFAULTS.name`` is ``PARAMS[name].default`` (for function signatures).
DEFAULTS = _Defaults()


def param(name):
    """The `Param` named ``name``.

    Parameters
    ----------
    name : str
        Its name in Python (``bias_level``).

    Returns
    -------
    Param
    """
    return PARAMS[name]


def check(name, value, spelled=None, **bounds):
    """Check ``value`` against parameter ``name`` of the table; see `Param.check`.

    Parameters
    ----------
    name : str
        The parameter's name in `PARAMS`.
    value : object
        The value.
    spelled : str, optional
        The name the caller used, if not ``name`` (``sigma`` for ``star_sigma``).
    **bounds
        A narrower ``low``, ``high`` or ``low_open`` for this context.

    Returns
    -------
    object
        The checked value.
    """
    return PARAMS[name].check(value, spelled, **bounds)


def check_moffat(moffat, spelled=None):
    """A Moffat profile ``(fwhm, beta)``, each number checked against the table, or None.

    Parameters
    ----------
    moffat : pair of float or None
        ``(fwhm, beta)`` (`MOFFAT`); None: Gaussian stars.
    spelled : str, optional
        The pair's key in a file (a plan's ``moffat = [fwhm, beta]``), which
        then names its numbers in errors too. Default: the pair as Python
        writes it, each number named by its parameter (``moffat_fwhm``), which
        a front end respells (``--moffat FWHM``).

    Returns
    -------
    tuple of float or None

    Raises
    ------
    ccdsim.ParameterError
        Not two numbers, or a number out of its range.

    Examples
    --------
    >>> check_moffat([5, 3])
    (5.0, 3.0)
    """
    if moffat is None:
        return None
    pair = "[fwhm, beta]" if spelled else "(fwhm, beta)"
    try:
        if isinstance(moffat, (str, bytes, dict)):
            raise TypeError
        values = tuple(moffat)
    except TypeError:
        values = ()
    if len(values) != len(MOFFAT):
        raise ParameterError(f"{spelled or 'moffat'} must be a pair {pair}", param=MOFFAT[0],
                             spelled=spelled or "moffat")
    return tuple(check(name, v, spelled) for name, v in zip(MOFFAT, values))


def utc(value, what="start"):
    """An ISO 8601 date and time (text, or a TOML date-time) as a naive UTC `datetime`.

    The one rule for every date a user gives: without a zone it is UTC; with
    an offset (``+05:00``) or ``Z`` it is converted to UTC. Inside ccdsim every
    time is a naive `datetime` in UTC, and every header writes it so.

    Parameters
    ----------
    value : str or datetime.datetime
        ``2026-03-21T04:00:00`` (UTC), ``...Z``, ``...+05:00`` (converted).
    what : str, optional
        How the caller names it, for the message.

    Returns
    -------
    datetime.datetime
        Without a zone, in UTC.

    Raises
    ------
    ccdsim.ParameterError
        Not a date and time, or one that leaves the calendar once converted.
    """
    try:
        if isinstance(value, datetime):
            t = value
        elif isinstance(value, date) or not isinstance(value, str):
            raise ValueError(value)
        else:
            t = datetime.fromisoformat(value)
        if t.tzinfo is not None:
            t = t.astimezone(timezone.utc).replace(tzinfo=None)
        return t
    except (ValueError, OverflowError):
        raise ParameterError(f"{what} must be an ISO 8601 date and time in UTC (or with an "
                             f"offset, or Z), e.g. {PARAMS['start'].default} (got "
                             f"{cut(str(value), 40)!r})", param="start") from None


def parse_start(start):
    """``start`` (ISO 8601; UTC unless it says otherwise, `utc`) as a naive UTC `datetime`.

    Parameters
    ----------
    start : str
        E.g. ``2026-03-20T19:00:00``.

    Returns
    -------
    datetime.datetime
    """
    return utc(check("start", start))


#: The camera's own parameters (`ccdsim.Camera` fields), in order: every entry of
#: the table from ``shape`` to the one before ``exposure_time``.
_ORDER = list(PARAMS)
CAMERA_PARAMS = tuple(_ORDER[_ORDER.index("shape"):_ORDER.index("exposure_time")])

#: Header cards of an exposure's settings (besides the camera's), in order.
EXPOSURE_PARAMS = ("sky", "stars", "max_counts", "star_sigma", "moffat_fwhm", "moffat_beta")

#: Most frames one observing plan may hold (all groups together): each is planned in
#: memory and checked against the disk before any is made.
MAX_PLAN_FRAMES = 100_000

#: What ``ccdsim batch`` draws from ranges, frame by frame.
BATCH_PARAMS = ("gain", "read_noise", "bias_level", "dark_current", "exposure_time", "sky",
                "stars", "max_counts", "star_sigma")



def markdown_table(names=None):
    """The parameter table as Markdown (the README's "Parameters" section is this).

    Parameters
    ----------
    names : sequence of str, optional
        Which parameters, in order (default: all).

    Returns
    -------
    str
    """
    rows = ["| Python | command line / TOML | unit | default | allowed | FITS | what |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for name in names or PARAMS:
        p = PARAMS[name]
        if p.kind in ("float", "int", "shape", "floats"):
            allowed = {"shape": f"each in [1, {p.high}]",
                       "floats": f"a list, each {p.range}"}.get(p.kind, p.range)
        elif p.kind == "bool":
            allowed = "true, false"
        else:
            allowed = "printable ASCII"
        default = p.describe().rpartition("(default: ")[2].rstrip(")")
        rows.append(f"| `{p.name}` | `{p.flag}` | {p.unit} | {default} | {allowed} | "
                    f"{p.fits or ''} | {p.help} |")
    return "\n".join(rows) + "\n"

"""The physics order as data: `STEPS`, each step's function, in the order a camera works.

A frame is made in electrons, then read out (the README's "The model" is
generated from this table):

- step 1 sums what each source puts in a pixel over the exposure: the rows
  of `STEPS` whose ``stage`` is ``"light"`` (sky, stars, moving stars as a
  rolling shutter's rows see them), ``"scales light"``
  (the flat field, the shutter: they multiply the light so far) and
  ``"charge"`` (charge that is not light), in their order;
  `expected_electrons` runs them;
- step 2 draws all of it at once: one Poisson draw (`poisson_draw`);
- step 3 moves charge: cosmic rays add theirs, brighter-fatter pushes it
  aside, the full well spills it along columns (``stage`` ``"moves"``); a
  camera read amplifier by amplifier then clocks it out through its traps
  (CTI, ``"transfer"``); a binned CCD sums each group's charge before it
  is read (``"binning"``); 3b the amplifier's response;
- a camera read amplifier by amplifier (`ccdsim.readout.segments`) also
  has the read-out chain's steps (``"chain"``): crosstalk between its
  amplifiers' outputs;
- steps 4 to 7 read it out: read noise, gain, bias (6b: a frame's own row
  offsets and RTS levels), the ADC (``"output"``); 7b a binned CMOS
  camera sums or averages the converter's values (``"digital"``).

`ccdsim.readout.plain` runs these functions one after the other on whole
arrays; the fast read-out (blocks on threads, one compiled pass for steps
3b to 7, cosmic rays and bleeding without a second pass) is tested equal to
it bit for bit. A new effect is a row in the parameter table, one physics
module and one entry here (see "Adding an effect" in the docs).
"""

from typing import NamedTuple

import numpy as np

from .bias import add_bias
from .cmos import add_frame_offsets
from .cosmics import add_cosmic_rays
from .dark import add_dark_current, add_other_charge
from .flat import apply_flat
from .fullwell import bin_charge, bleed_columns
from .response import add_read_noise, bin_digital, convert, respond, to_adu
from .shutter import add_rolling_light, apply_shutter
from .stars import add_sky, add_star_light
from .transfer.brighterfatter import bf_electrons
from .transfer.clocking import clock_out
from .transfer.crosstalk import add_crosstalk

__all__ = ["Step", "STEPS", "STEP_ONE", "Sources", "expected_electrons", "expected_terms",
           "poisson_draw", "steps_markdown"]


class Step(NamedTuple):
    """One step of the physics order.

    Parameters
    ----------
    number : str
        Its number in the model (``"1"``, ``"3b"``, ...).
    name : str
        Short name.
    adds : str
        What it does to the pixels, in words.
    unit : str
        The unit it works in.
    function : callable
        The function that does it (see ``stage`` for its signature).
    stage : str
        Step 1, `STEP_ONE`: ``"light"``, ``"scales light"`` or ``"charge"``;
        ``function(expected, sources, r0, r1)`` returns step 1's sum for rows
        ``r0:r1`` with its term (a number while uniform); ``"draw"``: step 2;
        ``"moves"``: ``function(electrons, ...)`` changes the whole data
        section's electrons in place and returns the pixels it touched
        (brighter-fatter returns the new electrons);
        ``"response"``, ``"output"``: take and return arrays; ``"chain"``: the
        read-out chain of a camera read amplifier by amplifier
        (`ccdsim.readout.segments`), on its amplifiers' segments;
        ``"binning"``, ``"digital"``: a binned camera's (`ccdsim.readout.binning`),
        on the whole frame.
    dq : str or None
        The `~ccdsim.DQ` bit it sets, if any.
    truth : str
        Where its truth is written (a file of ``truth/``, a header card, a table).
    """

    number: str
    name: str
    adds: str
    unit: str
    function: object
    stage: str
    dq: str | None
    truth: str


class Sources(NamedTuple):
    """What puts charge in the data section: the inputs of step 1.

    Parameters
    ----------
    nx : int
        Pixels per row of the data section.
    gain : float
        e-/ADU: the sky and stars are given in ADU.
    sky : float or ndarray
        Sky over the exposure, in ADU per pixel: uniform, or ``(ny, nx)``.
    stars : tuple of ndarray or None
        Gaussian stars ``(x, y, flux, sigma)``: pixels (0-based), electrons
        over the exposure, pixels.
    star_image : ndarray or None
        Moffat stars over the exposure, ``(ny, nx)``, in ADU per pixel.
    flat : ndarray or None
        Sensitivity ``(ny, nx)``, mean 1; scales the light only. None: uniform
        (or no light to scale).
    dark : float
        Dark current x exposure time, in e- per ordinary pixel.
    hot : ndarray of int
        Sorted flat indices of the hot pixels (`ccdsim.physics.hotpixels.hot_pixel_indices`).
    hot_factor : float
        Hot pixels' dark current relative to the others.
    charge : tuple or None
        More charge that does not come from light, in e- over the exposure
        (glow, a hot-pixel population, persistence): terms ``c`` whose
        ``c[r0:r1]`` gives rows of the data section; None: none.
    light_scale : ndarray or None
        Each pixel's light relative to the nominal exposure, ``(ny, nx)``
        (a shutter's opening and closing); None: 1 everywhere.
    camera : ccdsim.Camera or None
        The camera (read-only): a term reads its own parameters from it.
    exposure_time : float
        In s.
    rolling : tuple or None
        Moving stars' trail parts as a rolling shutter's rows see them,
        ``(x, y, flux, sigma, sx, sy)`` (`ccdsim.physics.shutter.rolling_parts`:
        px, e-, px, px per row); None: none (moving stars, if any, are in
        ``stars``).
    """

    nx: int
    gain: float
    sky: object
    stars: tuple | None
    star_image: object
    flat: object
    dark: float
    hot: np.ndarray
    hot_factor: float
    charge: object = None
    light_scale: object = None
    camera: object = None
    exposure_time: float = 0.0
    rolling: tuple | None = None


def poisson_draw(expected, shape, rng):
    """Step 2: one Poisson draw of all the expected electrons (a sum of Poissons is Poisson).

    Parameters
    ----------
    expected : ndarray, float or None
        From `expected_electrons`, in e-.
    shape : tuple of int
        ``(rows, nx)`` of the block, for a uniform ``expected``.
    rng : numpy.random.Generator
        The block's Generator; nothing is drawn when ``expected`` is None.

    Returns
    -------
    ndarray of int64
        Electrons, ``shape``; an empty array when ``expected`` is None.
    """
    if expected is None:
        return np.zeros((0, 0), dtype=np.int64)
    if np.ndim(expected) == 0:  # uniform: the same numbers, drawn faster
        return rng.poisson(expected, size=shape)
    return rng.poisson(expected)


#: The physics order. Step 1's terms run in this order: the light (sky, stars),
#: what scales the light only (flat, shutter), then charge that is not light.
STEPS = (
    Step("1", "sky", "sky light: sky [ADU] x gain", "e-", add_sky, "light", None,
         "SKYADU card"),
    Step("1", "stars", "star light: stars [ADU] x gain (Gaussian or Moffat)", "e-",
         add_star_light, "light", None, "TRUTH table"),
    Step("1", "rolling shutter", "moving stars' light, each row seeing them at its own time "
         "(row y starts y x line_time late: trails sheared)", "e-", add_rolling_light, "light",
         None, "LINETIME, ROWSPAN cards, truth/rolling-shutter.fits"),
    Step("1", "flat", "x flat field (scales light only)", "", apply_flat, "scales light", None,
         "truth/flat.fits (per filter), flat-cosmetics.fits"),
    Step("1", "shutter", "x shutter scale (each pixel's own exposure; light only)", "",
         apply_shutter, "scales light", None, "truth/shutter.fits"),
    Step("1", "dark", "+ dark current [e-/s] x t, hot pixels hot_pixel_factor times it", "e-",
         add_dark_current, "charge", "HOT_PIXEL", "truth/dark.fits"),
    Step("1", "other charge", "+ glow, hot-pixel population, persistence of earlier frames",
         "e-", add_other_charge, "charge", None,
         "truth/glow.fits, hot_pixels.fits, persistence.fits"),
    Step("2", "poisson", "one Poisson draw of the whole sum (a sum of Poissons is Poisson)",
         "e-", poisson_draw, "draw", None, "FRMSEED card"),
    Step("3", "cosmic rays", "+ cosmic-ray electrons", "e-", add_cosmic_rays, "moves",
         "COSMIC_RAY", "COSMICS table"),
    Step("3", "brighter-fatter", "collected charge pushes new charge to the neighbours "
         "(flux kept)", "e-", bf_electrons, "moves", None, "truth/brighter-fatter.fits"),
    Step("3", "full well", "charge above the full well spills along its column", "e-",
         bleed_columns, "moves", "FULL_WELL", "DQ bits"),
    Step("3", "binning", "CCD binning: each NX x NY group's charge summed before it is read, "
         "capped at serial_full_well (one read noise, gain, bias per binned pixel)", "e-",
         bin_charge, "binning", "FULL_WELL",
         "XBINNING, YBINNING, CCDSUM cards; truth maps binned"),
    Step("3", "charge transfer", "traps capture charge as it is clocked out and release it "
         "later (CTI: trails, EPER), parallel then serial", "e-", clock_out, "transfer", None,
         "truth/cti.fits, CTI extension"),
    Step("3b", "response", "the output amplifier's response (nonlinearity)", "e-", respond,
         "response", None, "truth/nonlinearity.fits"),
    Step("3c", "crosstalk", "+ each other amplifier's signal x its coefficient, same read-out "
         "position", "e-", add_crosstalk, "chain", None, "truth/crosstalk.fits"),
    Step("4", "read noise", "+ Gaussian read noise", "e-", add_read_noise, "output", None,
         "RDNOISE card"),
    Step("5", "gain", "/ gain, or each column's (CMOS column amplifiers)", "e- -> ADU", to_adu,
         "output", None, "GAIN card, truth/column-gain.fits"),
    Step("6", "bias", "+ bias map, this frame's offset, the overscan's own charge", "ADU",
         add_bias, "output", None, "truth/bias.fits, BIASOFF card"),
    Step("6b", "frame offsets", "+ each row's offset (row noise) and the RTS pixels' levels, "
         "drawn afresh every frame (CMOS)", "ADU", add_frame_offsets, "output", None,
         "truth/rts.fits, ROWNOISE card"),
    Step("7", "adc", "ADC: round to its steps (2**(16 - adc_bits) ADU), clip to 0..ADC_MAX "
         "(uint16), or float32", "ADU", convert,
         "output", "ADC_SATURATED", "SATURATE card"),
    Step("7b", "digital binning", "CMOS binning: each NX x NY group of ADU summed (clipped to "
         "ADC_MAX) or averaged (rounded half to even)", "ADU", bin_digital, "digital",
         "ADC_SATURATED", "XBINNING, YBINNING, CCDSUM, BINMODE cards; truth maps binned"),
)

#: The stages of step 1, in the order they must come.
STEP_ONE = ("light", "scales light", "charge")
_EXPECTED = tuple(s.function for s in STEPS if s.stage in STEP_ONE)


def expected_electrons(sources, r0, r1):
    """Step 1: the electrons expected in rows ``r0:r1`` of the data section.

    Runs step 1's terms of `STEPS` in order, each on the sum so far. The sum
    stays one number while no term varies from pixel to pixel in these rows
    (no stars, sky map, flat, shutter, hot pixels or other charge there), and
    comes back as that number.

    Parameters
    ----------
    sources : Sources
        Light, flat field, dark current, hot pixels and other charge.
    r0, r1 : int
        First and one-past-last row.

    Returns
    -------
    ndarray, float or None
        e- per pixel, float64 ``(r1 - r0, nx)``; a float where they are
        uniform; None where no charge is expected (a bias frame).
    """
    expected = 0.0
    for term in _EXPECTED:
        expected = term(expected, sources, r0, r1)
    if np.ndim(expected) == 0:
        return expected if expected > 0 else None
    return expected


def expected_terms(sources, r0, r1, stages):
    """Step 1 with only the rows of ``stages``: a part of `expected_electrons`.

    ``("light", "scales light")`` gives the light as it reaches the pixels,
    ``("charge",)`` all charge that is not light; the two sum to step 1 (to
    float precision).

    Parameters
    ----------
    sources : Sources
        The exposure's sources of charge.
    r0, r1 : int
        First and one-past-last row.
    stages : tuple of str
        Some of `STEP_ONE`.

    Returns
    -------
    ndarray, float or None
        As `expected_electrons`.
    """
    expected = 0.0
    for step in STEPS:
        if step.stage in stages:
            expected = step.function(expected, sources, r0, r1)
    if np.ndim(expected) == 0:
        return expected if expected > 0 else None
    return expected


def steps_markdown():
    """The physics order as the README's table (generated from `STEPS`, tested equal).

    Returns
    -------
    str
        A Markdown table: step, what it does, unit, function, DQ bit, truth.
    """
    lines = ["| step | what it does | unit | function | DQ bit | truth |",
             "|---|---|---|---|---|---|"]
    for s in STEPS:
        where = s.function.__module__.removeprefix("ccdsim.")
        lines.append(f"| {s.number} | {s.adds} | {s.unit} | `{where}.{s.function.__name__}` | "
                     f"{s.dq or ''} | {s.truth} |")
    return "\n".join(lines) + "\n"

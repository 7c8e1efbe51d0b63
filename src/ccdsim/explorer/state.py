"""The explorer's logic, without Panel: the controls' values -> a frame, measured.

`Settings` holds what the controls say; `State.update` checks it (as the
library checks everything: a bad value raises `ccdsim.ParameterError`),
makes the frame with `Camera.expose`, measures its background against
`ccdsim.analysis.budget.predict_frame` (the engine's own step 1) and takes it apart
with `ccdsim.analysis.decompose`. Every
control's unit, default and allowed range come from `ccdsim.core.params.PARAMS`;
only the sliders' narrower (soft) ranges and the explorer's own limits, which
keep it interactive, are here.
"""

import io
from dataclasses import dataclass, replace

import numpy as np

from ..analysis.budget import background_mask, light_factors, measure, predict, predict_frame
from ..analysis.decompose import decompose
from ..camera.camera import Camera
from ..camera.named import GUIDE_BAD_COLUMNS, GUIDE_HOT_PIXEL_FRACTION, NIGHT_CAMERA
from ..core.params import CAMERA_PARAMS, EXPLORER_MAX_SIDE, EXPLORER_SHAPE, PARAMS
from ..core.validate import ParameterError, check_int, check_shape
from ..io.display import show_image
from ..physics.cosmics import expected_count
from ..readout.steps import ADC_MAX

__all__ = ["MAX_SIDE", "MAX_STARS", "MAX_SEED", "MAX_COSMIC_RAYS", "CAMERA_TOGGLES",
           "EXPOSURE_TOGGLES", "SLIDERS", "SWITCHED", "label", "Settings", "State", "fits_bytes",
           "png_bytes"]

#: Largest frame side the explorer makes, in pixels (kept interactive).
MAX_SIDE = EXPLORER_MAX_SIDE
#: Most random stars the explorer draws.
MAX_STARS = 5000
#: Largest frame seed: the page's number box holds a JavaScript double, which
#: keeps every integer up to 2**53 - 1 and rounds larger ones.
MAX_SEED = 2**53 - 1
#: Most cosmic rays expected on one frame the explorer draws: 100,000 tracks
#: take about a second. Narrower than the library's memory bound
#: (`ccdsim.physics.cosmics.MAX_COSMIC_RAYS`), as `MAX_STARS` is than the table's.
MAX_COSMIC_RAYS = 100_000

#: On/off switches that change the camera: label -> ({Camera keyword: (value on, value off)},
#: on at start). A keyword that also has a slider takes the slider's value when on.
#: A new camera feature is one more entry here.
CAMERA_TOGGLES = {
    "hot pixels": ({"hot_pixel_fraction": (GUIDE_HOT_PIXEL_FRACTION, 0.0)}, True),
    "bad columns": ({"bad_columns": (GUIDE_BAD_COLUMNS, 0)}, True),
    # The night's flat: 10% vignetting, 10 dust donuts, 1% PRNU.
    "flat field": ({k: (NIGHT_CAMERA[k], 0) for k in ("vignetting", "dust_spots", "prnu")},
                   False),
    # A camera property (it depends on the site and the silicon), drawn per frame.
    # The night's 0.03 events/cm^2/s: about 2 tracks in 500x500 pixels of 15 um in 100 s.
    "cosmic rays": ({"cosmic_ray_rate": (NIGHT_CAMERA["cosmic_ray_rate"], 0.0)}, False),
}
#: On/off switches that change an exposure: label -> ({`Camera.expose` keyword: (on, off)},
#: on at start), as `CAMERA_TOGGLES`.
EXPOSURE_TOGGLES = {}

#: The sliders: `ccdsim.core.params.PARAMS` name -> (start, end, step), in the table's
#: unit. Soft ranges, narrower than the table's: typed values beyond them are
#: checked by the library. The camera's parameters first, then the exposure's.
SLIDERS = {
    "bias_level": (0.0, 3000.0, 10.0),
    "read_noise": (0.0, 50.0, 0.5),
    "gain": (0.25, 5.0, 0.05),
    "dark_current": (0.0, 2.0, 0.01),
    "cosmic_ray_rate": (0.0, 3.0, 0.01),  # slide up for a picture full of tracks
    "exposure_time": (0.0, 600.0, 10.0),
    "sky": (0.0, 500.0, 5.0),
    "stars": (0, 500, 1),
    "max_counts": (100.0, 20000.0, 100.0),
}
#: Keywords a switch sets -> their value when it is on (a slider's start value).
SWITCHED = {key: on for keywords, _ in (*CAMERA_TOGGLES.values(), *EXPOSURE_TOGGLES.values())
            for key, (on, _off) in keywords.items()}


def _check_seed(seed):
    """``seed`` as an int in [0, `MAX_SEED`]; raises ParameterError in one line."""
    seed = check_int("seed", seed)
    if seed > MAX_SEED:
        raise ParameterError(f"seed must be at most {MAX_SEED} (2**53 - 1) in the explorer: "
                             f"its number box rounds larger ones (got {seed})", param="seed")
    return seed


def label(name):
    """A control's label: the parameter table's, with its unit.

    Parameters
    ----------
    name : str
        The parameter's name in `ccdsim.core.params.PARAMS`.

    Returns
    -------
    str
        ``Param.label``, its help cut at the first ";" (what follows is
        detail for ``--help``): ``largest random star peak (ADU)``.
    """
    p = PARAMS[name]
    return replace(p, help=p.help.split(";")[0]).label


@dataclass(frozen=True)
class Settings:
    """What the controls say, before any check.

    Parameters
    ----------
    values : dict
        Slider name (`SLIDERS`) -> value, in the table's unit.
    toggles : dict
        Switch label (`CAMERA_TOGGLES`, `EXPOSURE_TOGGLES`) -> on.
    shape : tuple of int
        Frame size ``(ny, nx)``, in pixels.
    seed : int
        The frame's seed.
    """

    values: dict
    toggles: dict
    shape: tuple
    seed: int

    @classmethod
    def start(cls, shape=EXPLORER_SHAPE, seed=1, toggles=None, **values):
        """The settings at start: the values given, else the table's defaults.

        A slider that a switch uses starts at the switch's "on" value.

        Parameters
        ----------
        shape : tuple of int, optional
            Frame size ``(ny, nx)``, each side 1..`MAX_SIDE`.
        seed : int, optional
            The frame's seed, 0 to `MAX_SEED`.
        toggles : dict, optional
            Switches by label; the others as `CAMERA_TOGGLES` says.
        **values
            Slider values by name (`SLIDERS`).

        Returns
        -------
        Settings

        Raises
        ------
        ccdsim.ParameterError
            A bad shape or seed, or a control that does not exist.
        """
        seed = _check_seed(seed)
        shape = check_shape(shape)
        for i, side in enumerate(shape):
            check_int(f"shape[{i}]", side, low=1, high=MAX_SIDE)
        switches = {**CAMERA_TOGGLES, **EXPOSURE_TOGGLES}
        unknown = (set(values) - set(SLIDERS)) | (set(toggles or {}) - set(switches))
        if unknown:
            raise ParameterError(f"unknown explorer control(s): {', '.join(sorted(unknown))}")
        start = {name: values.get(name, SWITCHED.get(name, PARAMS[name].default))
                 for name in SLIDERS}
        on = {name: bool((toggles or {}).get(name, at_start))
              for name, (_, at_start) in switches.items()}
        return cls(start, on, shape, seed)

    def keywords(self):
        """The checked keywords of `Camera` and of `Camera.expose`.

        Returns
        -------
        tuple of dict
            ``(camera, exposure)``; the exposure's holds ``exposure_time``
            and ``rng`` (the seed).

        Raises
        ------
        ccdsim.ParameterError
            Too many stars, or a seed the page cannot hold; the rest is
            checked by `Camera` and `Camera.expose`.
        """
        v = self.values
        PARAMS["stars"].check(v["stars"], high=MAX_STARS)  # the explorer's bound, for speed
        seed = _check_seed(self.seed)
        # Each slider is a keyword of the camera or of its exposure; a switch sets its own.
        camera, exposure = dict(shape=self.shape), dict(rng=seed)
        for name, value in v.items():
            if name not in SWITCHED:
                (camera if name in CAMERA_PARAMS else exposure)[name] = value
        for toggles, kw in ((CAMERA_TOGGLES, camera), (EXPOSURE_TOGGLES, exposure)):
            for label_, (keywords, _) in toggles.items():
                for key, (on, off) in keywords.items():
                    kw[key] = v.get(key, on) if self.toggles[label_] else off
        return camera, exposure


def _check_cosmic_rays(camera, exposure_time):
    """Refuse a frame expecting more than `MAX_COSMIC_RAYS` tracks, before any is drawn."""
    if camera.cosmic_ray_rate > 0:
        expected = expected_count(camera.shape, exposure_time, camera.cosmic_ray_rate,
                                  camera.pixel_size)
        if expected > MAX_COSMIC_RAYS:
            raise ParameterError(
                f"cosmic rays: {expected:.3g} expected on this frame, more than the explorer's "
                f"{MAX_COSMIC_RAYS:,}; lower the cosmic-ray rate or the exposure time",
                param="cosmic_ray_rate")


class State:
    """The current frame and everything measured on it; `update` makes the next.

    Attributes
    ----------
    camera, frame : ccdsim.Camera, ccdsim.Frame
        The last good ones (None before the first).
    budget : ccdsim.analysis.budget.Budget
        The frame's predicted background, with the flat over `mask`.
    mask : ndarray of bool
        The background pixels measured (no star, hot pixel, bad column or cosmic ray).
    flat : ndarray or None
        The camera's flat map over `mask` (the budget's <f> and var(f)).
    measured : dict
        ``mean``, ``std`` (ADU), their standard errors ``mean_err``,
        ``std_err``, ``n`` background pixels and how many are ``clipped``
        at the ADC's limits.
    parts : dict
        `ccdsim.analysis.decompose` of the frame.
    cosmic_rays_expected : float
        Mean number of cosmic rays on such a frame (0 without them).
    area_cm2 : float
        The frame's area, in cm^2 (what cosmic rays hit).
    """

    def __init__(self):
        self.camera = self.frame = self.budget = self.mask = self.flat = None
        self.measured, self.parts = {}, {}
        self.cosmic_rays_expected = self.area_cm2 = 0.0

    def _camera(self, keywords):
        """The camera for ``keywords``: the current one while they match (its maps are cached)."""
        cam = self.camera
        if cam is None or any(getattr(cam, k) != (tuple(v) if k == "shape" else v)
                              for k, v in keywords.items()):
            return Camera(**keywords)
        return cam

    def update(self, settings):
        """Make the frame ``settings`` ask for, measure it and take it apart.

        Parameters
        ----------
        settings : Settings
            What the controls say.

        Raises
        ------
        ccdsim.ParameterError
            A value out of its range; the last good frame stays.
        """
        cam_kw, exp_kw = settings.keywords()
        camera = self._camera(cam_kw)
        # Checked before the cosmic rays it sets the number of (the library checks it too).
        t = PARAMS["exposure_time"].check(exp_kw.pop("exposure_time"))
        _check_cosmic_rays(camera, t)
        frame = camera.expose(t, **exp_kw)
        args = dict(bias_level=camera.bias_level, read_noise=camera.read_noise,
                    gain=camera.gain, dark_current=camera.dark_current, exposure_time=t,
                    sky=exp_kw["sky"])
        parts = decompose(frame)
        # Stars are cut where their light is below a thousandth of the flat-less std.
        mask = background_mask(camera, parts["stars"], predict(**args), dq=frame.dq)
        # The engine's light factors (flat, shutter) over exactly the pixels measured:
        # the budget's <f> and var(f), and the predicted histogram's mixture.
        flat = light_factors(frame.exposure, mask) if camera.has_flat else None
        mean, std, n = measure(frame.data, mask)
        values = frame.data[mask]
        # Everything is set at once, after the last step that can fail.
        self.camera, self.frame, self.parts = camera, frame, parts
        self.mask, self.flat = mask, flat
        self.budget = predict_frame(frame.exposure, mask)
        self.measured = dict(mean=mean, std=std, n=n, mean_err=std / np.sqrt(max(n, 1)),
                             std_err=std / np.sqrt(2 * max(n - 1, 1)),
                             clipped=int(np.count_nonzero((values == 0) | (values == ADC_MAX))))
        self.cosmic_rays_expected = expected_count(camera.shape, t, camera.cosmic_ray_rate,
                                                   camera.pixel_size)
        # Expected cosmic rays per unit rate and time: the area they hit.
        self.area_cm2 = expected_count(camera.shape, 1.0, 1.0, camera.pixel_size)


def fits_bytes(frame):
    """``frame`` as a FITS file in memory: image and TRUTH table (nothing touches the disk).

    Parameters
    ----------
    frame : ccdsim.Frame
        The frame.

    Returns
    -------
    io.BytesIO
        At its start.
    """
    buf = io.BytesIO()
    frame.to_hdulist().writeto(buf, checksum=True)
    buf.seek(0)
    return buf


def png_bytes(frame, percentiles):
    """``frame`` as a PNG picture in memory, as `ccdsim.show_image` draws it.

    Parameters
    ----------
    frame : ccdsim.Frame
        The frame.
    percentiles : tuple of float
        Lower and upper percentile of the stretch.

    Returns
    -------
    io.BytesIO
        At its start.
    """
    from matplotlib.figure import Figure

    lo, hi = percentiles
    h = frame.header
    fig = Figure(figsize=(8, 7), layout="constrained")
    show_image(frame.data, ax=fig.add_subplot(), percl=lo, percu=hi,
               title=f"ccdsim: gain {h['GAIN']:g} e-/ADU, read noise {h['RDNOISE']:g} e-, "
                     f"{h['EXPTIME']:g} s, sky {h.get('SKYADU', 0):g} ADU")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    buf.seek(0)
    return buf

"""A plan of frames: which camera takes what, when, and how each file is named.

A `NightPlan` is a list of `FrameSpec` with the cameras that take them and
the star fields they see. `run_frame` makes frame ``i`` of a plan, a pure
function of the plan and ``i``: the frame draws its noise from the child
``(FRAMES, i)`` of the plan's seed, so frames can run in any order, on any
worker, with the same pixels (`ccdsim.plans.frames`). ``ccdsim night`` makes a plan of one camera
(`ccdsim.plans.night.plan_night`), ``ccdsim dataset`` one of any number of cameras
from a plan file (`ccdsim.plans.file`).

A frame's light (then `ccdsim.readout`): the target's stars and sky, given
over its reference exposure, scale with the exposure time; a sky may have
a gradient across the columns; a combined frame averages frames drawn in
full (`ccdsim.plans.combine`).
"""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
from astropy.table import Table

from ..camera.camera import Camera
from ..core.arrays import cached_once
from ..core.params import DEFAULTS as D
from ..core.params import IMAGETYP_STYLES

__all__ = ["IMAGETYP_STYLES", "KINDS", "FrameSpec", "Combine", "NightPlan", "expand_card"]

# IMAGETYP_STYLES (IMAGETYP values by style, `ccdsim.core.params`, where the help text
# of --imagetyp-style is made of it) is re-exported here, where plans have always had it.
KINDS = tuple(IMAGETYP_STYLES["guide"])


@dataclass(frozen=True)
class Combine:
    """How a combined frame is made: the mean of ``count`` frames, each drawn in full.

    Parameters
    ----------
    count : int
        Frames averaged (each from its own child of the combined frame's seed).
    subtract : {'none', 'bias', 'overscan'}
        ``bias``: a bias frame drawn beside each frame is subtracted from it
        (the mean of the biases, as a master bias would be); ``overscan``:
        each row's median of the overscan columns from ``overscan_start`` on
        is subtracted from the row.
    trim : bool
        Keep the data section only.
    overscan_start : int
        First overscan column used by ``subtract='overscan'`` (0-based, counted
        from the first overscan column).
    """

    count: int
    subtract: str = "none"
    trim: bool = False
    overscan_start: int = 0


@dataclass(frozen=True)
class FrameSpec:
    """One frame of a plan.

    Parameters
    ----------
    index : int
        Position in the plan; frame ``index`` draws its noise from the
        plan seed's child ``(NightStream.FRAMES, index)``.
    kind : str
        ``bias``, ``dark``, ``flat`` or ``science``.
    filename : str
        File name, relative to the plan's folder (may include sub-folders).
    exposure_time : float
        In seconds.
    date_obs : str
        Start of the exposure, UTC, ISO 8601 (the ``DATE-OBS`` keyword).
    sky : float
        Uniform light before the flat field, in ADU per pixel over the
        exposure: the sky for science frames, the lamp or twilight for flats.
    stars : bool
        Whether the target's star field is in the frame.
    camera : str, optional
        Name of the camera in the plan that takes it ("" : the plan's first).
    filter : str or None, optional
        The filter in the beam (its flat multiplies the light); None: none named.
    imagetyp : str or None, optional
        The ``IMAGETYP`` value; None: the ``guide`` style's for ``kind``.
    cards : tuple, optional
        Header cards ``(keyword, value, comment)``; they win over the
        camera's own (``DATASEC``, ``BIASSEC``, ... as the plan says). String
        values may name the geometry (`expand_card`).
    sky_gradient : float, optional
        Fractional change of ``sky`` across the columns, left to right (0:
        uniform; 0.1: 5% below the mean on the left, 5% above on the right).
    target : str, optional
        Name of the plan's star field in the frame ("" : the first).
    flux_scale : float, optional
        The field's fluxes (ADU over the target's reference exposure) times
        this: the exposure over the reference exposure.
    combine : Combine or None, optional
        A combined frame (`ccdsim.plans.combine`): not part of the night's timeline.
    bias_offset : float, optional
        More bias for this frame, in ADU (its group's level: another night's,
        another read-out mode's), on top of the camera's drift and jitter.
    dither : tuple of float, optional
        ``(east, north)`` offset of the pointing from a sky target, arcsec.
    drift : tuple of float, optional
        ``(east, north)`` arcsec the pointing drifts during the exposure
        (tracking): trailed stars, the truth at the middle of the exposure.
    spin : float, optional
        Degrees the field turns about the frame's centre during the exposure
        (field rotation of an alt-azimuth mount; positive: counter-clockwise
        on the image, x right and y up): each star along its chord.
    seeing : float or None, optional
        The stars' FWHM in arcsec (a sky target's frame; None: ``star_sigma``).
    airmass : float or None, optional
        At the exposure's middle (a sky target's frame).
    """

    index: int
    kind: str
    filename: str
    exposure_time: float
    date_obs: str
    sky: float = 0.0
    stars: bool = False
    camera: str = ""
    filter: str | None = None
    imagetyp: str | None = None
    cards: tuple = ()
    sky_gradient: float = 0.0
    target: str = ""
    flux_scale: float = 1.0
    combine: Combine | None = None
    bias_offset: float = 0.0
    dither: tuple = (0.0, 0.0)
    drift: tuple = (0.0, 0.0)
    spin: float = 0.0
    seeing: float | None = None
    airmass: float | None = None

    def __post_init__(self):
        if self.imagetyp is None:
            object.__setattr__(self, "imagetyp", IMAGETYP_STYLES["guide"][self.kind])


@dataclass(frozen=True, eq=False)
class NightPlan:
    """Everything that defines a plan of frames; `run_frame` makes any frame of it.

    Parameters
    ----------
    camera : Camera
        The (first) camera: its defects and flat field are the same all night.
    frames : tuple of FrameSpec
        In the order they were taken (combined frames anywhere).
    seed : int or tuple of int
        The plan's seed (entropy of its `~numpy.random.SeedSequence`).
    field : astropy.table.Table
        The stars of the first target as the first camera sees them (``flux``
        in ADU over the target's reference exposure, before the flat field).
    star_sigma : float
        Gaussian sigma of the stars, in pixels.
    moffat : tuple of float or None
        ``(fwhm, beta)`` for Moffat stars instead of Gaussians.
    header : dict
        Keywords every frame carries (FILTER, INSTRUME, TELESCOP, ...).
    quantize : bool
        True: uint16 from the ADC; False: float32 ADU.
    layout : str, optional
        How frames of several amplifiers are written (`ccdsim.io.amplifiers.LAYOUTS`).
    cameras : dict, optional
        Every camera by name, the first being ``camera`` (empty: only ``camera``,
        named "").
    fields : dict, optional
        Star fields by ``(target, camera name)``; a pair not there sees ``field``.
    name : str, optional
        What made the plan (``night``, a built-in plan's name, a plan file).
    sky : dict, optional
        ``site``, ``filters`` (photometry), ``targets`` with coordinates and
        ``cameras``' pixel scales (`ccdsim.plans.sky`).
    catalogs : dict, optional
        Star catalogue of each sky target, by name.
    document : dict, optional
        The plan as a TOML document that makes it again (`ccdsim.plans.file.plan_toml`):
        its seed, scale and the cameras handed over from Python written in.
    """

    camera: Camera
    frames: tuple
    seed: object
    field: Table
    star_sigma: float = D.star_sigma
    moffat: tuple | None = None
    header: dict = field(default_factory=dict)
    quantize: bool = True
    layout: str = "assembled"
    cameras: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    name: str = "night"
    sky: dict = field(default_factory=dict)
    catalogs: dict = field(default_factory=dict)
    document: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def seed_sequence(self):
        """The plan's root `~numpy.random.SeedSequence`."""
        return np.random.SeedSequence(self.seed)

    def count(self, kind):
        """Number of frames of one kind.

        Parameters
        ----------
        kind : {'bias', 'dark', 'flat', 'science'}
            The kind of frame.

        Returns
        -------
        int
        """
        return sum(f.kind == kind for f in self.frames)

    @property
    def camera_names(self):
        """The cameras' names, in plan order (``("",)`` for a one-camera night)."""
        return tuple(self.cameras) or ("",)

    def camera_named(self, name):
        """The camera called ``name``.

        Parameters
        ----------
        name : str
            A key of ``cameras``; "" (or any name in a one-camera plan): the first.

        Returns
        -------
        Camera
        """
        return self.cameras.get(name, self.camera) if name else self.camera

    def field_for(self, spec):
        """The star table a frame sees.

        Parameters
        ----------
        spec : FrameSpec
            The frame (its target and camera).

        Returns
        -------
        astropy.table.Table
            Fluxes in ADU over the target's reference exposure, before the flat.
        """
        return self.fields.get((spec.target, spec.camera), self.field)

    @cached_once
    def _views(self):
        if len(self.camera_names) == 1 and not any(f.combine for f in self.frames):
            return {self.camera_names[0]: (self, list(range(len(self.frames))))}
        views = {}
        for name in self.camera_names:
            own = [f for f in self.frames if f.camera == name and f.combine is None]
            specs = tuple(replace(f, index=k) for k, f in enumerate(own))
            cam = self.camera_named(name)
            first = next((f for f in own if f.stars), None)
            view = NightPlan(camera=cam, frames=specs, seed=self.seed,
                             field=self.field_for(first) if first else self.field,
                             star_sigma=self.star_sigma, moffat=self.moffat,
                             header=self.header, quantize=self.quantize, layout=self.layout,
                             fields=self.fields, name=self.name, sky=self.sky,
                             catalogs=self.catalogs)
            views[name] = (view, [f.index for f in own])
        return views

    @cached_once
    def _positions(self):
        return {i: k for view, indices in self._views.values() for k, i in enumerate(indices)}

    def position(self, index):
        """A frame's position in its camera's `view`.

        Parameters
        ----------
        index : int
            The frame's index in this plan.

        Returns
        -------
        int
        """
        return self._positions[index]

    @cached_once
    def clocks(self):
        """Seconds from the first frame of each frame's night to its start (made once).

        A night runs from noon to noon UTC, so a plan spanning several nights
        (calibrations on another date) drifts the bias within each night only.
        For a camera's `view`, whose frames are all that camera's.
        """
        starts = [datetime.fromisoformat(f.date_obs) for f in self.frames]
        nights = [(t - timedelta(hours=12)).date() for t in starts]
        first = {}
        for night, t in zip(nights, starts):
            first[night] = min(first.get(night, t), t)
        return tuple((t - first[night]).total_seconds() for night, t in zip(nights, starts))

    def view(self, name=""):
        """The plan of one camera's own frames (combined frames left out), re-indexed.

        Its truth (`ccdsim.run.truth`) and persistence (`ccdsim.plans.afterimages`)
        concern one camera; frame ``k`` of the view is frame ``indices[k]`` here.

        Parameters
        ----------
        name : str, optional
            The camera ("" : the first).

        Returns
        -------
        view : NightPlan
        indices : list of int
            The plan index of each of the view's frames.
        """
        return self._views[name or self.camera_names[0]]

    def filters(self, name=""):
        """The filters a camera looks through, in plan order.

        Parameters
        ----------
        name : str, optional
            The camera ("" : the first).

        Returns
        -------
        tuple of str
            Frames without a filter are left out.
        """
        name = name or self.camera_names[0]
        seen = dict.fromkeys(f.filter for f in self.frames
                             if (f.camera or self.camera_names[0]) == name and f.filter)
        return tuple(seen)


_GEOMETRY = re.compile(r"\{(nx|ny|NX|NY)([+-]\d+)?\}")


def expand_card(value, camera):
    """A card's value with the camera's geometry filled in.

    In a string, ``{nx}`` and ``{ny}`` are the data section's columns and rows,
    ``{NX}`` and ``{NY}`` the read-out frame's (overscan included), each
    optionally plus or minus a whole number: ``"[{nx+1}:{NX},1:{NY-1}]"``.
    A plan written for a camera then stays right at any ``scale``.

    Parameters
    ----------
    value : object
        The card's value; only strings change.
    camera : Camera
        The camera whose geometry fills the value.

    Returns
    -------
    object
    """
    if not isinstance(value, str) or "{" not in value:
        return value
    (ny, nx), (NY, NX) = camera.geometry.detector_shape, camera.readout_shape  # binned, if so
    sizes = {"nx": nx, "ny": ny, "NX": NX, "NY": NY}
    return _GEOMETRY.sub(lambda m: str(sizes[m[1]] + int(m[2] or 0)), value)

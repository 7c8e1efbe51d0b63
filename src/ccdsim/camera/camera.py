"""The camera: a fixed identity (shape, gain, noise, defects) that takes exposures."""

from dataclasses import dataclass, field

import numpy as np
from astropy.table import Table

from ..core.params import DEFAULTS as D
from ..core.params import CAMERA_PARAMS, PARAMS, check, check_moffat
from ..core.resources import check_frame_memory
from ..core.validate import ParameterError
from ..physics.cmos import check_sensor
from ..physics.dark import check_dark_side
from ..physics.shutter import check_kind as check_shutter_kind
from ..readout.amplifiers import check_amplifiers
from ..readout.binning import check_binning
from ..readout.exposure import Exposure, plan_exposure
from ..readout.transfer import check_transfer, segmented
from .maps import ReadoutMaps
from .withmaps import MeasuredMaps

__all__ = ["Camera", "Exposure"]

_CHECKS = (check_dark_side, check_amplifiers, check_transfer, check_binning, check_sensor,
           lambda camera: check_shutter_kind(camera.shutter_kind))


def _table_fields(cls):
    """Give ``cls`` a field, and a documented parameter, for each camera parameter of the
    table it does not write out itself: a new effect's rows of `ccdsim.core.params`
    reach the camera without being retyped here."""
    own, added = cls.__dict__.get("__annotations__", {}), []
    for name in CAMERA_PARAMS:
        if name not in own:
            p = PARAMS[name]
            own[name] = object
            setattr(cls, name, p.default)
            added.append(f"    {name} : {p.kind}\n        {p.describe()}.\n")
    own["maps"], cls.maps = object, field(default=None, repr=False)  # last, not a parameter
    added.append("    maps : dict, optional\n        Measured maps instead of drawn ones "
                 "(`ccdsim.camera.withmaps`; `from_file`).\n")
    if added:
        head, sep, tail = cls.__doc__.partition("\n    Examples\n")
        cls.__doc__ = head.rstrip() + "\n" + "".join(added) + sep + tail
    return cls


@dataclass(frozen=True)
@_table_fields
class Camera(MeasuredMaps, ReadoutMaps):
    """A CCD camera whose defects are fixed by ``camera_seed``.

    ``Camera()`` is the guide's camera. Every frame of one camera shares its
    bias map (with bad columns) and dark map (with hot pixels); another
    ``camera_seed`` gives other defects. Each kind of defect draws from its
    own stream (`ccdsim.core.seeds.camera_rng`), never from a frame's noise. The
    maps come from `ccdsim.camera.maps.FixedPattern` and
    `~ccdsim.camera.maps.ReadoutMaps`, each computed once.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` in pixels.
    gain : float
        Gain, in e-/ADU (> 0).
    read_noise : float
        Read noise, in electrons (>= 0).
    bias_level : float
        Bias level, in ADU (0..65535).
    dark_current : float
        Dark current, in e-/pixel/s (>= 0).
    bad_columns : int
        Number of bad columns in the bias (0 for none); their per-row
        offsets reach up to 10% of the bias level, as in the guide.
    hot_pixel_fraction : float
        Fraction of hot pixels (0 for none; the guide uses 1e-4).
    hot_pixel_factor : float
        Hot pixels' dark current relative to ``dark_current`` (guide: 1e4).
    camera_seed : int
        The camera's identity (>= 0): where its defects are.
    vignetting : float
        Fractional loss of light in the corners of the flat field, in [0, 0.9]
        (0: none).
    dust_spots : int
        Number of dust shadows ("donuts", 1-5% deep) in the flat field.
    prnu : float
        Pixel response non-uniformity: fractional rms of the flat field from
        pixel to pixel, in [0, 0.5] (real CCDs: about 0.01).
    full_well : float or None
        Pixel capacity, in electrons; charge above it bleeds along the
        column (`ccdsim.physics.fullwell`). None: unlimited (only the ADC saturates).
    overscan : int
        Overscan columns read out after each row (bias and read noise only);
        ``shape`` stays the data section.
    cosmic_ray_rate : float
        Cosmic rays, in events/cm^2/s (0: none; about 0.02 at sea level).
    pixel_size : float
        Pixel pitch, in microns (sets the area cosmic rays hit).
    glow_rate : float
        Amplifier/sensor glow at its sources, in e-/pixel/s (0: none); it
        falls off as ``exp(-distance / glow_length)`` (`ccdsim.physics.glow`).
    glow_length : float
        The glow's decay length, in pixels (> 0).
    glow_sources : str
        Where the glow comes from: comma-separated edges and corners
        (``left``, ``right``, ``bottom``, ``top``, ``lower-left``,
        ``lower-right``, ``upper-left``, ``upper-right``).
    glow_readout_time : float
        Read-out time, in seconds: the glow collects ``rate x (exposure
        time + this)``, so zero-second biases glow too.
    hot_above_1 : float
        Hot-pixel population (`ccdsim.physics.hotpixels`): fraction of pixels whose
        added dark current is above 1 e-/s (0: none; real CCDs about 1e-3).
    hot_above_4 : float
        Fraction of pixels above 4 e-/s (below ``hot_above_1``); sets the
        power-law tail's index ``ln(hot_above_1 / hot_above_4) / ln 4``.
    hot_fixed_time : float
        Each population pixel's exposure-independent charge, in seconds of
        its own rate (collected by every exposure longer than zero).
    hot_unstable_fraction : float
        Fraction of the population that switches between two rates from
        frame to frame, in [0, 1].
    hot_unstable_ratio : float
        An unstable pixel's second rate relative to its first (>= 0).
    bias_drift : float
        Drift of the bias level through a night, in ADU per hour of the
        frame's clock (`ccdsim.physics.bias.frame_bias_offset`); image and
        overscan alike.
    bias_jitter : float
        Rms of each frame's own bias offset, in ADU (from the frame's seed).
    bias_gradient : float
        Fixed bias gradient of the data section, in ADU: the bias rises
        linearly by this much from the first pixel to the last (corner to
        corner, mean 0); the overscan does not see it.
    bias_row_rms : float
        Rms of a fixed per-row bias pattern of the data section, in ADU
        (from the camera seed).
    bias_column_rms : float
        Rms of a fixed per-column bias pattern of the data section, in ADU
        (from the camera seed).
    overscan_offset : float
        Level of the overscan (columns and rows) minus the image's bias
        level, in ADU (positive or negative).
    overscan_rows : int
        Overscan rows read out after the data rows (``BIASSECR``).
    overscan_leak : float
        Fraction of a row's last data pixel's electrons that appears in the
        first overscan column, in [0, 1].
    overscan_leak_length : float
        The leak falls as ``exp(-k / length)`` with the overscan column
        ``k`` (0 first), in columns.
    overscan_dark : float
        Dark current of the overscan pixels, in e-/pixel/s (it builds up
        with the exposure time).
    dead_columns : int
        Columns that see no light (sensitivity 0 in the flat).
    partial_columns : int
        Columns that keep 30-70% of the light from a random row to the top.
    low_patches : int
        Low-sensitivity discs in the flat (a thinned chip's dark spots).
    patch_size : float
        Diameter of the patches, in pixels.
    patch_depth : float
        Fraction of light the patches lose, in [0, 1].
    thinning : float
        Large-scale thinning pattern of the flat: its rms, as a fraction.
    filter_flat : float
        Each filter's own large-scale flat component (`flat_for`): its rms,
        as a fraction; 0: the flat is the same in every filter.
    shutter_delay : float
        Exposure the shutter takes from the edge relative to the centre, in
        seconds (0: an ideal shutter); see `ccdsim.physics.shutter`.
    shutter_kind : {'iris', 'blade'}
        Iris: radial, with the blades' starfish; blade: linear across x.
    shutter_blades : int
        Number of iris blades (arms of the starfish).
    nonlinearity : float
        The output amplifier's fractional deviation from a linear response at
        ``nonlinearity_level``, in [-0.5, 0.5] (0: linear; -0.01: 1% low).
        The response is quadratic in electrons (`ccdsim.physics.response`).
    nonlinearity_level : float
        Signal above bias where the deviation is ``nonlinearity``, in ADU
        (the guide's camera: linear to about 55,000 counts).
    persistence : float
        Fraction of the charge over the full well in one frame of a night
        that later frames collect as it leaks out, in [0, 1] (0: none;
        needs a ``full_well``; `ccdsim.plans.afterimages`).
    persistence_time : float
        E-folding time of that leak, in seconds (> 0).

    Examples
    --------
    >>> from ccdsim import Camera
    >>> cam = Camera(shape=(200, 300))
    >>> frame = cam.expose(100, sky=20, stars=5, rng=1)
    >>> frame.data.shape, frame.data.dtype.name
    ((200, 300), 'uint16')
    """

    shape: tuple = D.shape
    gain: float = D.gain
    read_noise: float = D.read_noise
    bias_level: float = D.bias_level
    dark_current: float = D.dark_current
    bad_columns: int = D.bad_columns
    hot_pixel_fraction: float = D.hot_pixel_fraction
    hot_pixel_factor: float = D.hot_pixel_factor
    camera_seed: int = D.camera_seed
    vignetting: float = D.vignetting
    dust_spots: int = D.dust_spots
    prnu: float = D.prnu
    full_well: float | None = D.full_well
    overscan: int = D.overscan
    cosmic_ray_rate: float = D.cosmic_ray_rate
    pixel_size: float = D.pixel_size
    # Camera personalities (all off by default), one block per effect ----------
    # [dark side]
    glow_rate: float = D.glow_rate
    glow_length: float = D.glow_length
    glow_sources: str = D.glow_sources
    glow_readout_time: float = D.glow_readout_time
    hot_above_1: float = D.hot_above_1
    hot_above_4: float = D.hot_above_4
    hot_fixed_time: float = D.hot_fixed_time
    hot_unstable_fraction: float = D.hot_unstable_fraction
    hot_unstable_ratio: float = D.hot_unstable_ratio
    # [end dark side]
    # [bias and overscan]
    bias_drift: float = D.bias_drift
    bias_jitter: float = D.bias_jitter
    bias_gradient: float = D.bias_gradient
    bias_row_rms: float = D.bias_row_rms
    bias_column_rms: float = D.bias_column_rms
    overscan_offset: float = D.overscan_offset
    overscan_rows: int = D.overscan_rows
    overscan_leak: float = D.overscan_leak
    overscan_leak_length: float = D.overscan_leak_length
    overscan_dark: float = D.overscan_dark
    # [end bias and overscan]
    # [light side]
    dead_columns: int = D.dead_columns
    partial_columns: int = D.partial_columns
    low_patches: int = D.low_patches
    patch_size: float = D.patch_size
    patch_depth: float = D.patch_depth
    thinning: float = D.thinning
    filter_flat: float = D.filter_flat
    shutter_delay: float = D.shutter_delay
    shutter_kind: str = D.shutter_kind
    shutter_blades: int = D.shutter_blades
    # [end light side]
    # [response]
    nonlinearity: float = D.nonlinearity
    nonlinearity_level: float = D.nonlinearity_level
    persistence: float = D.persistence
    persistence_time: float = D.persistence_time
    # [end response]

    def __post_init__(self):
        for name in CAMERA_PARAMS:  # every parameter against the table (`ccdsim.core.params`)
            object.__setattr__(self, name, check(name, getattr(self, name)))
        self.attach_maps()  # measured maps, if any (`ccdsim.camera.withmaps`)
        for check_together in _CHECKS:  # parameters that depend on each other
            check_together(self)
        if self.bad_columns > self.shape[1]:
            raise ParameterError(f"shape {self.shape[0]}x{self.shape[1]} has fewer columns than "
                                 f"the camera's {self.bad_columns} bad columns", param="shape")

    def parameters(self):
        """The camera's parameters as a dict (what ``Camera(**p)`` takes; not its maps)."""
        return {name: getattr(self, name) for name in CAMERA_PARAMS}

    @property
    def reads_by_segment(self):
        """True if frames are read amplifier by amplifier (`ccdsim.readout.segments`)."""
        return segmented(self)

    # Exposures ---------------------------------------------------------------

    def expose(self, exposure_time, *, sky=0.0, stars=None, max_counts=D.max_counts,
               star_sigma=D.star_sigma, moffat=None, quantize=True, imagetyp=None, threads=None,
               rng=None):
        """Take one exposure.

        Physics, per pixel: expected electrons = dark map x t + gain x (sky +
        stars) x flat map; ONE Poisson draw of that sum; + cosmic-ray
        electrons; full-well bleeding along columns; + Gaussian read noise
        (e-); / gain; + bias map (ADU); round and clip to 0..65535 (uint16).
        Overscan columns get read noise and bias only.

        Parameters
        ----------
        exposure_time : float
            Exposure time, in seconds (>= 0).
        sky : float or ndarray, optional
            Sky background, in ADU per pixel over the whole exposure (as in
            the guide); an array of ``shape`` for a non-uniform sky.
        stars : None, int or astropy.table.Table, optional
            Number of random stars (`ccdsim.make_star_table`, drawn from the
            frame's seed), or a table with ``x_0``, ``y_0`` (px, 0-based),
            ``flux`` (total ADU over the exposure) and optionally ``sigma`` (px).
        max_counts : float, optional
            Largest peak of random stars, in ADU over the exposure.
        star_sigma : float, optional
            Gaussian sigma of the stars, in pixels.
        moffat : tuple of float, optional
            ``(fwhm, beta)``: Moffat stars of that FWHM (pixels) and power
            instead of Gaussians (see `ccdsim.render_stars`).
        quantize : bool, optional
            True: the ADC's uint16. False: float32 ADU, not rounded or clipped.
        imagetyp : str, optional
            IMAGETYP header value; by default ``Bias Frame``, ``Dark Frame``
            or ``Light Frame`` from what the exposure contains.
        threads : int, optional
            Worker threads; never changes the pixels.
        rng : {None, int, array_like[int], SeedSequence, Generator}, optional
            The frame's noise (SPEC 7). ``None`` draws fresh entropy, which
            the header records so the frame can be made again.

        Returns
        -------
        Frame
            ``.data`` (ADU, overscan columns last), ``.header``, ``.truth``
            (star table or None), ``.dq`` (data-quality bits, `ccdsim.DQ`) and
            ``.cosmics`` (cosmic-ray table, or None without cosmic rays).
        """
        threads = check("threads", threads)
        exposure = self.prepare(exposure_time, sky=sky, stars=stars, max_counts=max_counts,
                                star_sigma=star_sigma, moffat=moffat, quantize=quantize,
                                imagetyp=imagetyp, rng=rng)
        check_frame_memory(exposure)  # before the frame is allocated, in the library too
        return exposure.frame(threads=threads)

    def prepare(self, exposure_time, *, sky=0.0, stars=None, max_counts=D.max_counts,
                star_sigma=D.star_sigma, moffat=None, quantize=True, imagetyp=None, cards=None,
                charge=None, clock=0.0, filter=None, bias_offset=0.0, trail=None, rng=None):
        """Plan one exposure without reading it out: an `Exposure`.

        Takes the parameters of `expose` (but ``threads``); the frame's stars,
        cosmic rays and seed are fixed here. ``prepare(...).frame()`` is
        ``expose(...)``; ``prepare(...).rows(r0, r1)`` reads out one band, for
        frames larger than memory.

        Parameters
        ----------
        exposure_time, sky, stars, max_counts, star_sigma, moffat, quantize, imagetyp, rng
            As in `expose`.
        cards : dict, optional
            More header cards, ``{keyword: (value, comment)}``, placed after
            the exposure time (a night's ``DATE-OBS``, ``FILTER``, ...).
        charge : ndarray, optional
            More expected charge of this frame alone, ``shape`` in e- over the
            exposure (persistence of earlier frames of a night).
        bias_offset : float, optional
            More bias for this frame alone, in ADU, image and overscan alike
            (a plan group's: another night's or another mode's level).
        trail : array_like, optional
            ``(dx, dy)`` pixels the stars drift during the exposure, or one
            row per star (Gaussian stars only); the truth keeps their
            mid-exposure positions.
        clock : float, optional
            Seconds since the start of the night when the exposure starts
            (a drifting bias follows it).
        filter : str, optional
            The filter in the beam: its flat (`flat_for`) multiplies the
            light. None: the filter-independent `flat_map`.

        Returns
        -------
        Exposure
        """
        t = check("exposure_time", exposure_time)
        filter = None if filter is None else check("filter", filter)
        star_sigma = check("star_sigma", star_sigma)
        quantize = check("quantize", quantize)
        if np.ndim(sky) == 0:
            sky = check("sky", sky)
        else:
            sky = np.asarray(sky, dtype=float)
            sky_param = PARAMS["sky"]
            if sky.shape != self.shape:
                raise ParameterError(f"sky must be a number {sky_param.range} or an array of "
                                     f"shape {self.shape}", param="sky")
            if not (np.all(np.isfinite(sky)) and np.all(sky >= sky_param.low)
                    and np.all(sky <= sky_param.high)):
                raise ParameterError(f"sky must be finite and {sky_param.range} ADU everywhere",
                                     param="sky")
        if stars is not None and not isinstance(stars, Table):
            stars = check("stars", stars)
        if isinstance(stars, int):
            max_counts = check("max_counts", max_counts)
        moffat = check_moffat(moffat)
        if moffat is not None and trail is not None and np.any(trail):
            raise ParameterError("trail: trailed stars are Gaussian (no moffat)",
                                 param="moffat_fwhm")
        return plan_exposure(self, t, sky=sky, stars=stars, max_counts=max_counts,
                             star_sigma=star_sigma, moffat=moffat, quantize=quantize,
                             imagetyp=imagetyp, cards=self.map_cards(cards), charge=charge,
                             clock=clock, filter=filter, bias_offset=float(bias_offset),
                             trail=trail, rng=rng)

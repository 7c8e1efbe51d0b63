"""The camera: a fixed identity (shape, gain, noise, defects) that takes exposures."""

from dataclasses import asdict, dataclass, fields

import numpy as np
from astropy.table import Table

from .darkside import check_dark_side
from .exposure import Exposure, plan_exposure
from .params import DEFAULTS as D
from .params import PARAMS, check
from .pattern import FixedPattern
from .validate import ParameterError

__all__ = ["Camera", "Exposure"]


@dataclass(frozen=True)
class Camera(FixedPattern):
    """A CCD camera whose defects are fixed by ``camera_seed``.

    ``Camera()`` is the guide's camera. Every frame of one camera shares its
    bias map (with bad columns) and dark map (with hot pixels); another
    ``camera_seed`` gives other defects. Each kind of defect draws from its
    own stream (`ccdsim.seeds.camera_rng`), never from a frame's noise. The
    maps come from `ccdsim.pattern.FixedPattern`, each computed once.

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
        column (`ccdsim.bleed`). None: unlimited (only the ADC saturates).
    overscan : int
        Overscan columns read out after each row (bias and read noise only);
        ``shape`` stays the data section.
    cosmic_ray_rate : float
        Cosmic rays, in events/cm^2/s (0: none; about 0.02 at sea level).
    pixel_size : float
        Pixel pitch, in microns (sets the area cosmic rays hit).
    glow_rate : float
        Amplifier/sensor glow at its sources, in e-/pixel/s (0: none); it
        falls off as ``exp(-distance / glow_length)`` (`ccdsim.glow`).
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
        Hot-pixel population (`ccdsim.hotpixels`): fraction of pixels whose
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
    #
    # [bias and overscan]

    # [end bias and overscan]
    #
    # [light side]

    # [end light side]
    #
    # [response]

    # [end response]

    def __post_init__(self):
        # Every field is checked against the parameter table (`ccdsim.params`).
        for f in fields(self):
            object.__setattr__(self, f.name, check(f.name, getattr(self, f.name)))
        check_dark_side(self)
        if self.bad_columns > self.shape[1]:
            raise ParameterError(f"shape {self.shape[0]}x{self.shape[1]} has fewer columns than "
                                 f"the camera's {self.bad_columns} bad columns", param="shape")

    def parameters(self):
        """The camera's parameters as a dict (what ``Camera(**p)`` takes)."""
        return asdict(self)

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
        return self.prepare(exposure_time, sky=sky, stars=stars, max_counts=max_counts,
                            star_sigma=star_sigma, moffat=moffat, quantize=quantize,
                            imagetyp=imagetyp, rng=rng).frame(threads=threads)

    def prepare(self, exposure_time, *, sky=0.0, stars=None, max_counts=D.max_counts,
                star_sigma=D.star_sigma, moffat=None, quantize=True, imagetyp=None, cards=None,
                charge=None, clock=0.0, rng=None):
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
        clock : float, optional
            Seconds since the start of the night when the exposure starts
            (a drifting bias follows it).

        Returns
        -------
        Exposure
        """
        t = check("exposure_time", exposure_time)
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
        if moffat is not None:
            try:
                fwhm, beta = moffat
            except (TypeError, ValueError):
                raise ParameterError("moffat must be a pair (fwhm, beta)",
                                     param="moffat_fwhm", spelled="moffat") from None
            moffat = (check("moffat_fwhm", fwhm), check("moffat_beta", beta))

        return plan_exposure(self, t, sky=sky, stars=stars, max_counts=max_counts,
                             star_sigma=star_sigma, moffat=moffat, quantize=quantize,
                             imagetyp=imagetyp, cards=cards, charge=charge, clock=clock,
                             rng=rng)

"""The camera: a fixed identity (shape, gain, noise, defects) that takes exposures."""

from dataclasses import asdict, dataclass

import numpy as np
from astropy.table import Table

from .exposure import Exposure, plan_exposure
from .pattern import FixedPattern
from .presets import GUIDE_BAD_COLUMNS, GUIDE_HOT_PIXEL_FRACTION
from .seeds import DEFAULT_CAMERA_SEED
from .sources import MIN_SIGMA
from .validate import MIN_GAIN, ParameterError, check_int, check_number, check_shape

__all__ = ["Camera", "Exposure"]

MAX_ELECTRONS_RATE = 1e6  # e-/pixel/s, far beyond any real sensor


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

    Examples
    --------
    >>> from ccdsim import Camera
    >>> cam = Camera(shape=(200, 300))
    >>> frame = cam.expose(100, sky=20, stars=5, rng=1)
    >>> frame.data.shape, frame.data.dtype.name
    ((200, 300), 'uint16')
    """

    shape: tuple = (2000, 2000)
    gain: float = 1.0
    read_noise: float = 5.0
    bias_level: float = 1100.0
    dark_current: float = 0.1
    bad_columns: int = GUIDE_BAD_COLUMNS
    hot_pixel_fraction: float = GUIDE_HOT_PIXEL_FRACTION
    hot_pixel_factor: float = 1e4
    camera_seed: int = DEFAULT_CAMERA_SEED
    vignetting: float = 0.0
    dust_spots: int = 0
    prnu: float = 0.0
    full_well: float | None = None
    overscan: int = 0
    cosmic_ray_rate: float = 0.0
    pixel_size: float = 15.0

    def __post_init__(self):
        s = object.__setattr__
        s(self, "shape", check_shape(self.shape))
        s(self, "gain", check_number("gain", self.gain, low=MIN_GAIN, high=1e3))
        s(self, "read_noise", check_number("read_noise", self.read_noise, high=1e4))
        s(self, "bias_level", check_number("bias_level", self.bias_level, high=65535))
        s(self, "dark_current", check_number("dark_current", self.dark_current,
                                             high=MAX_ELECTRONS_RATE))
        s(self, "bad_columns", check_int("bad_columns", self.bad_columns, high=self.shape[1]))
        s(self, "hot_pixel_fraction", check_number("hot_pixel_fraction",
                                                   self.hot_pixel_fraction, high=1))
        s(self, "hot_pixel_factor", check_number("hot_pixel_factor", self.hot_pixel_factor,
                                                 high=1e6))
        s(self, "camera_seed", check_int("camera_seed", self.camera_seed, high=2**63 - 1))
        s(self, "vignetting", check_number("vignetting", self.vignetting, high=0.9))
        s(self, "dust_spots", check_int("dust_spots", self.dust_spots, high=10**5))
        s(self, "prnu", check_number("prnu", self.prnu, high=0.5))
        if self.full_well is not None:
            s(self, "full_well", check_number("full_well", self.full_well, low=0, low_open=True,
                                              high=1e8))
        s(self, "overscan", check_int("overscan", self.overscan, high=10**4))
        s(self, "cosmic_ray_rate", check_number("cosmic_ray_rate", self.cosmic_ray_rate,
                                                high=1e3))
        s(self, "pixel_size", check_number("pixel_size", self.pixel_size, low=0, low_open=True,
                                           high=1e3))

    def parameters(self):
        """The camera's parameters as a dict (what ``Camera(**p)`` takes)."""
        return asdict(self)

    # Exposures ---------------------------------------------------------------

    def expose(self, exposure_time, *, sky=0.0, stars=None, max_counts=2000.0, star_sigma=4.0,
               moffat=None, quantize=True, imagetyp=None, threads=None, rng=None):
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
        if threads is not None:
            check_int("threads", threads, low=1, high=1024)
        return self.prepare(exposure_time, sky=sky, stars=stars, max_counts=max_counts,
                            star_sigma=star_sigma, moffat=moffat, quantize=quantize,
                            imagetyp=imagetyp, rng=rng).frame(threads=threads)

    def prepare(self, exposure_time, *, sky=0.0, stars=None, max_counts=2000.0, star_sigma=4.0,
                moffat=None, quantize=True, imagetyp=None, rng=None):
        """Plan one exposure without reading it out: an `Exposure`.

        Takes the parameters of `expose` (but ``threads``); the frame's stars,
        cosmic rays and seed are fixed here. ``prepare(...).frame()`` is
        ``expose(...)``; ``prepare(...).rows(r0, r1)`` reads out one band, for
        frames larger than memory.

        Parameters
        ----------
        exposure_time, sky, stars, max_counts, star_sigma, moffat, quantize, imagetyp, rng
            As in `expose`.

        Returns
        -------
        Exposure
        """
        t = check_number("exposure_time", exposure_time, high=1e6)
        star_sigma = check_number("star_sigma", star_sigma, low=MIN_SIGMA, high=1e3)
        if np.ndim(sky) == 0:
            sky = check_number("sky", sky, high=1e9)
        else:
            sky = np.asarray(sky, dtype=float)
            if sky.shape != self.shape:
                raise ParameterError(f"sky must be a number >= 0 or an array of shape {self.shape}")
            if not (np.all(np.isfinite(sky)) and np.all(sky >= 0) and np.all(sky <= 1e9)):
                raise ParameterError("sky must be finite and in [0, 1e+09] ADU everywhere")
        if stars is not None and not isinstance(stars, Table):
            stars = check_int("stars", stars, high=10**7)
        if isinstance(stars, int):
            max_counts = check_number("max_counts", max_counts, low=0, low_open=True, high=1e9)
        if moffat is not None:
            try:
                fwhm, beta = moffat
            except (TypeError, ValueError):
                raise ParameterError("moffat must be a pair (fwhm, beta)") from None
            moffat = (check_number("moffat_fwhm", fwhm, low=0, low_open=True, high=1e3),
                      check_number("moffat_beta", beta, low=1, low_open=True, high=100))

        return plan_exposure(self, t, sky=sky, stars=stars, max_counts=max_counts,
                             star_sigma=star_sigma, moffat=moffat, quantize=quantize,
                             imagetyp=imagetyp, rng=rng)

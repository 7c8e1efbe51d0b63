"""The camera: a fixed identity (shape, gain, noise, defects) that takes exposures."""

from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np
from astropy.table import Table

from . import defects
from .expose import expose_pixels
from .frame import Frame
from .io import frame_header
from .seeds import DEFAULT_CAMERA_SEED, Defect, Stream, camera_rng, child_rng, frame_seed_sequence
from .sources import (MIN_SIGMA, add_stars_to_rows, make_star_table, star_arrays,
                      stars_reaching_rows)
from .validate import MIN_GAIN, ParameterError, check_int, check_number, check_shape

__all__ = ["Camera"]

MAX_ELECTRONS_RATE = 1e6  # e-/pixel/s, far beyond any real sensor


@dataclass(frozen=True)
class Camera:
    """A CCD camera whose defects are fixed by ``camera_seed``.

    ``Camera()`` is the guide's camera. Every frame of one camera shares its
    bias map (with bad columns) and dark map (with hot pixels); another
    ``camera_seed`` gives other defects. Each kind of defect draws from its
    own stream (`ccdsim.seeds.camera_rng`), never from a frame's noise.

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
    bad_columns: int = 5
    hot_pixel_fraction: float = 1e-4
    hot_pixel_factor: float = 1e4
    camera_seed: int = DEFAULT_CAMERA_SEED

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

    def parameters(self):
        """The camera's parameters as a dict (what ``Camera(**p)`` takes)."""
        return asdict(self)

    # Fixed pattern, from the camera seed -------------------------------------

    @cached_property
    def _bad_columns(self):
        rng = camera_rng(self.camera_seed, Defect.BAD_COLUMNS)
        return defects.bad_columns(self.shape, self.bad_columns, 0.1 * self.bias_level, rng=rng)

    @property
    def bad_column_indices(self):
        """Indices (0-based) of the bad columns."""
        return self._bad_columns[0]

    @property
    def bias_map(self):
        """True bias map, in ADU (float32)."""
        cols, pattern = self._bad_columns
        return defects.bias_map(self.shape, self.bias_level, cols, pattern)

    @cached_property
    def hot_pixel_indices(self):
        """Sorted flat indices (``row * nx + col``) of the hot pixels."""
        rng = camera_rng(self.camera_seed, Defect.HOT_PIXELS)
        return defects.hot_pixel_indices(self.shape, self.hot_pixel_fraction, rng=rng)

    @property
    def hot_pixel_mask(self):
        """Boolean map of the hot pixels."""
        mask = np.zeros(self.shape[0] * self.shape[1], dtype=bool)
        mask[self.hot_pixel_indices] = True
        return mask.reshape(self.shape)

    @property
    def dark_map(self):
        """True dark current, in e-/pixel/s (float32), hot pixels included."""
        return defects.dark_map(self.shape, self.dark_current, self.hot_pixel_mask,
                                self.hot_pixel_factor)

    # Rows of the maps, for the block-wise hot path (no full-size copies) ------

    def bias_rows(self, r0, r1):
        """Rows ``r0:r1`` of `bias_map` (ADU, float32)."""
        cols, pattern = self._bad_columns
        return defects.bias_map((r1 - r0, self.shape[1]), self.bias_level, cols, pattern[r0:r1])

    # Exposures ---------------------------------------------------------------

    def expose(self, exposure_time, *, sky=0.0, stars=None, max_counts=2000.0, star_sigma=4.0,
               quantize=True, imagetyp=None, threads=None, rng=None):
        """Take one exposure.

        Physics, per pixel: expected electrons = dark map x t + gain x (sky +
        stars); ONE Poisson draw of that sum; + Gaussian read noise (e-);
        / gain; + bias map (ADU); round and clip to 0..65535 (uint16).

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
            ``.data`` (ADU), ``.header``, ``.truth`` (star table or None).
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
        if threads is not None:
            check_int("threads", threads, low=1, high=1024)

        seed_seq = frame_seed_sequence(rng)
        truth = None
        if isinstance(stars, int):
            truth = make_star_table(stars, self.shape, max_counts=max_counts, sigma=star_sigma,
                                    rng=child_rng(seed_seq, Stream.STARS))
        elif isinstance(stars, Table):
            truth = stars.copy()
        gain = self.gain
        stars_e = None
        if truth:
            x, y, flux, sig = star_arrays(truth, star_sigma)
            stars_e = (x, y, flux * gain, sig)  # ADU over the exposure -> e-
        dark_e = self.dark_current * t
        hot = self.hot_pixel_indices if dark_e > 0 else self.hot_pixel_indices[:0]
        hot_e = dark_e * (self.hot_pixel_factor - 1)
        nx = self.shape[1]
        sky_map = np.ndim(sky) > 0
        uniform_e = dark_e + (0.0 if sky_map else sky * gain)

        def expected(r0, r1):
            """Expected electrons in rows r0:r1: array, float if uniform, None if zero."""
            lo, hi = np.searchsorted(hot, [r0 * nx, r1 * nx])
            near = stars_reaching_rows(stars_e[1], stars_e[3], r0, r1) if stars_e else ()
            if not (sky_map or len(near) or hi > lo):
                return uniform_e if uniform_e > 0 else None
            lam = np.full((r1 - r0, nx), uniform_e)
            if sky_map:
                lam += sky[r0:r1] * gain
            if len(near):
                add_stars_to_rows(lam, r0, *stars_e, near=near)
            rows, cols = np.divmod(hot[lo:hi] - r0 * nx, nx)
            lam[rows, cols] += hot_e
            return lam

        data = expose_pixels(self.shape, expected, read_noise_e=self.read_noise, gain=gain,
                             bias_rows=self.bias_rows, seed_seq=seed_seq, quantize=quantize,
                             threads=threads)
        if imagetyp is None:
            light = sky_map or sky > 0 or truth is not None
            imagetyp = "Light Frame" if light else ("Bias Frame" if t == 0 else "Dark Frame")
        settings = dict(exposure_time=t, sky=float(np.mean(sky)) if np.ndim(sky) else sky,
                        stars=len(truth) if truth is not None else 0,
                        max_counts=max_counts if isinstance(stars, int) else None,
                        star_sigma=star_sigma, quantize=quantize, imagetyp=imagetyp)
        header = frame_header(self.parameters(), settings, seed_seq)
        return Frame(data=data, header=header, truth=truth)

"""One exposure, planned and not yet read out: its seed, stars and cosmic rays.

`plan_exposure` fixes everything random about a frame but its pixels;
`Exposure` holds the plan and reads it out with `ccdsim.readout.read_out`,
whole (`Exposure.frame`) or a band of rows at a time (`Exposure.rows`).
"""

from dataclasses import dataclass

import numpy as np
from astropy.table import Table

from ..core.seeds import Stream, child_rng, frame_seed_sequence
from ..core.validate import ParameterError
from ..io.fits import frame_header
from ..physics.bias import frame_bias_offset
from ..physics.cmos import frame_offsets
from ..physics.cosmics import cosmic_ray_table
from ..physics.dark import dark_charge
from ..physics.shutter import light_scale, rolling_parts
from ..physics.stars import make_star_table, render_stars, star_arrays
from ..physics.steps import Sources, expected_electrons
from .binning import binned, binned_header, binned_read_out
from .frame import Frame
from .overscan import read_overscan_rows, stack_rows
from .pipeline import read_out
from .plain import plain_read_out
from .segments import segmented_read_out
from .transfer import segmented

__all__ = ["Exposure", "plan_exposure"]


def plan_exposure(camera, exposure_time, *, sky, stars, max_counts, star_sigma, moffat,
                  quantize, imagetyp, rng, cards=None, charge=None, clock=0.0, filter=None,
                  bias_offset=0.0, trail=None):
    """Draw what is random about a frame but its pixels: its seed, stars and cosmic rays.

    `ccdsim.Camera.prepare` checks the parameters and calls this.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera that takes the exposure.
    exposure_time : float
        In seconds.
    sky : float or ndarray
        Sky, in ADU per pixel over the exposure (uniform, or the data
        section's shape).
    stars : None, int or astropy.table.Table
        Number of random stars (drawn from the frame's ``Stream.STARS``), or
        their table.
    max_counts : float
        Largest peak of random stars, in ADU over the exposure.
    star_sigma : float
        Gaussian sigma of the stars, in pixels.
    moffat : tuple of float or None
        ``(fwhm, beta)`` of Moffat stars, instead of Gaussians.
    quantize : bool
        True: uint16 from the ADC; False: float32 ADU.
    imagetyp : str or None
        IMAGETYP; None: from what the exposure contains.
    rng : {None, int, array_like[int], SeedSequence, Generator}
        The frame's seed (SPEC 7).
    cards : dict, optional
        More header cards, ``{keyword: (value, comment)}``.
    charge : ndarray, optional
        More expected charge of this frame, ``(ny, nx)`` in e- (persistence).
    bias_offset : float, optional
        More bias for this frame alone, in ADU (added to the drift and jitter).
    trail : array_like, optional
        ``(dx, dy)`` pixels the stars move during the exposure (tracking
        drift), or one row per star (field rotation): each star is spread
        evenly along its line, centred on its truth position (the middle of
        the exposure).
    clock : float, optional
        Seconds since the start of the night when the exposure starts (the
        bias drifts with it).
    filter : str, optional
        The filter in the beam (its flat, `ccdsim.Camera.flat_for`).

    Returns
    -------
    Exposure
    """
    cam, t = camera, exposure_time
    seed_seq = frame_seed_sequence(rng)
    truth = None
    if isinstance(stars, int):
        truth = make_star_table(stars, cam.shape, max_counts=max_counts, sigma=star_sigma,
                                rng=child_rng(seed_seq, Stream.STARS))
    elif isinstance(stars, Table):
        truth = stars.copy()
    stars_e = star_img = rolling = None
    if truth and moffat is not None:
        star_img = render_stars(cam.shape, truth, moffat=moffat)  # ADU, full frame
    elif truth:
        x, y, flux, sig = star_arrays(truth, star_sigma)
        if trail is not None and np.any(trail):
            x, y, flux, sig = trail_stars(x, y, flux, sig, trail)
        stars_e = (x, y, flux * cam.gain, sig)  # ADU over the exposure -> e-
        if cam.line_time > 0 and t > 0 and trail is not None and np.any(trail):
            # moving stars under a rolling shutter: each row sees them at its own time
            stars_e, rolling = None, rolling_parts(stars_e, trail, t, cam.line_time)
    # Cosmic rays and the full well act on the whole electron image.
    cosmics = None
    if cam.cosmic_ray_rate > 0:
        cosmics = cosmic_ray_table(cam.shape, t, rate=cam.cosmic_ray_rate,
                                   pixel_size=cam.pixel_size,
                                   rng=child_rng(seed_seq, Stream.COSMIC_RAYS))
    has_light = np.ndim(sky) > 0 or sky > 0 or bool(truth)
    if imagetyp is None:
        imagetyp = "Light Frame" if has_light else ("Bias Frame" if t == 0 else "Dark Frame")
    settings = dict(exposure_time=t, sky=float(np.mean(sky)) if np.ndim(sky) else sky,
                    stars=len(truth) if truth is not None else 0,
                    max_counts=max_counts if isinstance(stars, int) else None,
                    # a star table's own widths (a seeing) override the default sigma
                    star_sigma=(None if moffat or (truth is not None and "sigma" in
                                                   truth.colnames and
                                                   np.any(truth["sigma"] != star_sigma))
                                else star_sigma),
                    moffat_fwhm=moffat[0] if moffat else None,
                    moffat_beta=moffat[1] if moffat else None,
                    cosmic_rays=len(cosmics) if cosmics is not None else None,
                    quantize=quantize, imagetyp=imagetyp, cards=dict(cards or {}))
    offset = frame_bias_offset(cam, seed_seq, clock) + bias_offset
    if offset:
        settings["cards"]["BIASOFF"] = (offset, "[adu] this frame's bias offset (truth)")
    if trail is not None and np.ndim(trail) == 1 and np.any(trail):
        settings["cards"]["TRAILX"] = (float(trail[0]), "[pix] star trail in x over the exposure")
        settings["cards"]["TRAILY"] = (float(trail[1]), "[pix] star trail in y over the exposure")
    if cam.line_time > 0:
        settings["cards"]["ROWSPAN"] = ((cam.shape[0] - 1) * cam.line_time,
                                        "[s] the last row's exposure starts this late")
    return Exposure(camera=cam, exposure_time=t, sky=sky, truth=truth, stars_e=stars_e,
                    star_img=star_img, cosmics=cosmics, seed_seq=seed_seq,
                    quantize=quantize, settings=settings, charge=charge, bias_offset=offset,
                    filter=filter, rolling=rolling, offsets=frame_offsets(cam, seed_seq))


def trail_stars(x, y, flux, sigma, trail):
    """Each star as ``k`` equal parts along its trail: enough that they blur into a line.

    Parameters
    ----------
    x, y, flux, sigma : ndarray
        The stars (pixels, flux, pixels).
    trail : array_like
        ``(dx, dy)`` in pixels over the exposure, for all stars or one row
        per star (field rotation).

    Returns
    -------
    x, y, flux, sigma : ndarray
        ``k`` times as many, the flux shared.
    """
    t = np.broadcast_to(np.asarray(trail, dtype=float), (len(x), 2))
    length = float(np.max(np.hypot(t[:, 0], t[:, 1]), initial=0.0))
    k = max(2, int(np.ceil(2 * length / max(float(np.min(sigma)), 0.25))))
    steps = (np.arange(k) + 0.5) / k - 0.5  # centred on the middle of the exposure
    return ((x[:, None] + steps * t[:, :1]).ravel(), (y[:, None] + steps * t[:, 1:]).ravel(),
            np.repeat(flux / k, k), np.repeat(sigma, k))


@dataclass(frozen=True)
class Exposure:
    """One exposure, planned but not yet read out: `Camera.prepare` makes it.

    Everything random about the frame is fixed here (its seed, stars and
    cosmic rays); `frame` reads out the whole frame, `rows` any band of
    128-row blocks, with the same pixels either way. It holds no function
    closures, so it can be sent to a Dask worker.

    Parameters
    ----------
    camera : Camera
        The camera that takes it.
    exposure_time : float
        In seconds.
    sky : float or ndarray
        Sky, in ADU per pixel over the exposure (an array of the data
        section's shape for a non-uniform sky).
    truth : astropy.table.Table or None
        The stars' table (``flux`` in ADU over the exposure, before the flat).
    stars_e : tuple or None
        Gaussian stars as arrays ``(x, y, flux, sigma)``: pixels (0-based),
        electrons over the exposure, pixels.
    star_img : ndarray or None
        Moffat stars: expected counts per pixel, in ADU over the exposure.
    cosmics : astropy.table.Table or None
        The frame's cosmic rays (`ccdsim.physics.cosmics.cosmic_ray_table`).
    seed_seq : numpy.random.SeedSequence
        The frame's seed: each 128-row block draws from its own child.
    quantize : bool
        True: uint16 from the ADC; False: float32 ADU.
    settings : dict
        The exposure's header values (exposure time, sky, stars, ...).
    charge : ndarray or None
        More expected charge of this frame alone, ``(ny, nx)`` in e- over the
        exposure (persistence of earlier frames); None: none.
    bias_offset : float
        This frame's bias level relative to the camera's bias map, in ADU
        (drift and jitter; image and overscan alike).
    filter : str or None
        The filter in the beam: the light is multiplied by its flat
        (`ccdsim.Camera.flat_for`); None: the camera's `flat_map`.
    rolling : tuple or None
        Moving stars under a rolling shutter, instead of ``stars_e``: their
        trail parts with each one's shift per row
        (`ccdsim.physics.shutter.rolling_parts`); None: none.
    offsets : ccdsim.physics.cmos.FrameOffsets or None
        This frame's row offsets and RTS levels (step 6), drawn from its
        ``Stream.ROW_NOISE`` and ``Stream.RTS``; None: neither.
    """

    camera: object
    exposure_time: float
    sky: object
    truth: object
    stars_e: tuple | None
    star_img: object
    cosmics: object
    seed_seq: object
    quantize: bool
    settings: dict
    charge: object = None
    bias_offset: float = 0.0
    filter: str | None = None
    rolling: tuple | None = None
    offsets: object = None

    @property
    def shape(self):
        """``(ny + overscan_rows, nx + overscan)`` of the read-out frame."""
        return self.camera.readout_shape

    @property
    def two_stage(self):
        """True if charge moves across blocks (cosmic rays, full well, a camera read by segments
        or binned)."""
        return bool(self.cosmics is not None and len(self.cosmics)) or \
            self.camera.full_well is not None or segmented(self.camera) or binned(self.camera)

    @property
    def sources(self):
        """What puts charge in the data section (`ccdsim.readout.Sources`)."""
        cam, sky = self.camera, self.sky
        has_light = (np.ndim(sky) > 0 or sky > 0 or self.stars_e is not None
                     or self.star_img is not None or self.rolling is not None)
        t = self.exposure_time
        charge = [c for c in (dark_charge(cam, t, self.seed_seq), cam.map_charge(t), self.charge)
                  if c is not None]  # map_charge: a measured dark map's (`ccdsim.camera.withmaps`)
        return Sources(nx=cam.shape[1], gain=cam.gain, sky=sky, stars=self.stars_e,
                       star_image=self.star_img,
                       flat=cam.flat_for(self.filter) if cam.has_flat and has_light else None,
                       dark=cam.dark_current * t,
                       hot=cam.hot_pixel_indices, hot_factor=cam.hot_pixel_factor,
                       charge=tuple(charge) or None,
                       light_scale=light_scale(cam, t) if has_light else None,
                       camera=cam, exposure_time=t, rolling=self.rolling)

    def expected(self, r0, r1):
        """Expected electrons in rows ``r0:r1``: an array, a float if uniform, None if zero.

        See `ccdsim.readout.expected_electrons`.

        Parameters
        ----------
        r0, r1 : int
            First and one-past-last row of the data section.

        Returns
        -------
        ndarray, float or None
        """
        return expected_electrons(self.sources, r0, r1)

    def rows(self, r0, r1, *, threads=None):
        """Read out rows ``r0:r1`` only (a band of whole 128-row blocks).

        The pixels equal those rows of `frame`. Not possible when charge
        moves across blocks (cosmic rays, full well).

        Parameters
        ----------
        r0, r1 : int
            First and one-past-last row; ``r0`` a multiple of ``BLOCK_ROWS``
            and ``r1`` one too, or the last row.
        threads : int, optional
            Worker threads; never changes the pixels.

        Returns
        -------
        data : ndarray
            ADU, ``(r1 - r0, nx + overscan)``.
        dq : ndarray of uint8
            Data-quality bits of those rows.
        """
        if self.two_stage:
            raise ParameterError("an exposure with cosmic rays, a full well, a read-out by "
                                 "amplifier segments or binning cannot be made in bands of rows "
                                 "(charge crosses them)")
        dq = self.camera.dq_rows(r0, r1)
        return read_out(self, dq, rows=(r0, r1), threads=threads), dq

    def header(self):
        """The primary header (what made the frame)."""
        return binned_header(frame_header(self.camera.parameters(), self.settings, self.seed_seq,
                                          geometry=self.camera.geometry,
                                          amplifiers=self.camera.amplifier_values), self.camera)

    def frame(self, *, threads=None, header=True, plain=False):
        """Read out the whole frame.

        Parameters
        ----------
        threads : int, optional
            Worker threads; never changes the pixels.
        header : bool, optional
            False: an empty header, for frames only their pixels are wanted
            of (each frame of a combined frame); the same pixels.
        plain : bool, optional
            Read out with `ccdsim.readout.plain.plain_read_out`: the physics
            order step by step on whole arrays (slower; the same pixels).

        Returns
        -------
        Frame
        """
        moved = None
        if binned(self.camera):  # NX x NY pixels read as one (`ccdsim.readout.binning`)
            data, dq = binned_read_out(self, threads=threads)
        elif segmented(self.camera):  # amplifier by amplifier: one path, whole arrays
            data, dq, moved = segmented_read_out(self, threads=threads)
        elif plain:
            data, dq = plain_read_out(self)
        else:
            geometry = self.camera.geometry
            amp = geometry.amplifier
            dq = self.camera.dq_rows(0, self.camera.shape[0])
            data = read_out(self, dq, threads=threads)
            if amp.parallel_overscan.size:  # read out after the data rows, from their own stream
                rows, rows_dq = read_overscan_rows(self)
                data = stack_rows(geometry.shape, (amp.data.rows, data),
                                  (amp.parallel_overscan.rows, rows))
                dq = stack_rows(geometry.shape, (amp.data.rows, dq),
                                (amp.parallel_overscan.rows, rows_dq))
        return Frame(data=data, header=self.header() if header else None, truth=self.truth,
                     dq=dq, cosmics=self.cosmics, exposure=self, moved=moved)

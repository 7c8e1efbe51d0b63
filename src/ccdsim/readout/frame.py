"""A frame: pixels in ADU, the header that says how they were made, and the truth."""

from dataclasses import dataclass, field

import numpy as np
from astropy.io import fits
from astropy.table import Table

from ..io.display import show_image
from ..io.fits import frame_hdulist, write_hdulist

__all__ = ["Frame"]


@dataclass
class Frame:
    """One exposure.

    Parameters
    ----------
    data : ndarray
        Pixels in ADU (uint16 from the ADC, or float32 unquantised).
    header : astropy.io.fits.Header
        IMAGETYP, EXPTIME, GAIN, RDNOISE, seeds and every parameter.
    truth : astropy.table.Table or None
        The stars: ``x_0``, ``y_0`` (px, 0-based), ``flux`` (ADU, total), ...
    dq : ndarray or None
        Data-quality bits (uint8, shape of ``data``; see `ccdsim.DQ`).
    cosmics : astropy.table.Table or None
        The cosmic rays (`ccdsim.physics.cosmics.cosmic_ray_table`), when the camera has them.
    exposure : ccdsim.camera.Exposure or None
        What made the frame (its camera, exposure time, sky, stars and seed),
        so it can be taken apart (`ccdsim.analysis.decompose.decompose`) from the frame
        alone; None for a frame not made by ccdsim here.
    moved : ndarray of float32 or None
        The charge CTI moved (after minus before, e-, the frame's layout): its
        ``CTI`` extension; None for a camera without traps.
    """

    data: np.ndarray
    header: fits.Header
    truth: Table | None = None
    dq: np.ndarray | None = None
    cosmics: Table | None = None
    exposure: object = field(default=None, repr=False, compare=False)
    moved: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def camera(self):
        """The `ccdsim.Camera` that took the frame (None if unknown)."""
        return None if self.exposure is None else self.exposure.camera

    def to_hdulist(self, layout="assembled"):
        """The frame as FITS: primary image; ``TRUTH``, ``DQ``, ``COSMICS``, ``CTI`` extensions.

        Parameters
        ----------
        layout : {'assembled', 'amplifiers'}, optional
            One image, or one HDU per amplifier (`ccdsim.io.amplifiers`).

        Returns
        -------
        astropy.io.fits.HDUList
        """
        cam = self.camera
        if layout == "amplifiers" and cam is None:
            raise ValueError("layout='amplifiers' needs the camera that made the frame")
        return frame_hdulist(self.data, self.header, self.truth, dq=self.dq, cosmics=self.cosmics,
                             moved=self.moved, layout=layout,
                             geometry=None if cam is None else cam.geometry,
                             amplifiers=None if cam is None else cam.amplifier_values)

    def write(self, path, *, overwrite=False, layout="assembled"):
        """Write the frame to a FITS file atomically; never replaces a file unless asked.

        Parameters
        ----------
        path : str or os.PathLike
            Output FITS file; its folder must exist.
        overwrite : bool, optional
            Replace an existing file (refused otherwise).
        layout : {'assembled', 'amplifiers'}, optional
            One image, or one HDU per amplifier (`ccdsim.io.amplifiers`).

        Returns
        -------
        str or os.PathLike
            ``path``.
        """
        return write_hdulist(self.to_hdulist(layout), path, overwrite=overwrite)

    def show(self, **kwargs):
        """Display with `ccdsim.show_image` (percentile stretch, colorbar).

        Parameters
        ----------
        **kwargs
            Options of `ccdsim.show_image` (``percu``, ``log``, ``ax``, ...).

        Returns
        -------
        matplotlib.image.AxesImage
        """
        return show_image(self.data, **kwargs)

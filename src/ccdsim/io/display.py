"""Pictures of frames in the spirit of the guide's ``show_image``."""

import numpy as np
from astropy.nddata import block_reduce
from astropy.visualization import (
    AsymmetricPercentileInterval,
    ImageNormalize,
    LinearStretch,
    LogStretch,
)

from .fits import atomic_path

__all__ = ["show_image", "save_png", "reduce_fits", "block_means"]


def _factors(shape, max_side):
    """Pixels per block along y and x: square blocks, ``ceil(longest side / max_side)``,
    but never more than a side has, so a thin frame (2 x 5000) keeps its rows."""
    f = max(int(np.ceil(max(shape) / max_side)), 1)
    return tuple(min(f, n) for n in shape)


def block_means(image, max_side):
    """Block-average so each side is at most ``max_side`` pixels (what `show_image` shows).

    Parameters
    ----------
    image : array_like
        The image.
    max_side : int
        Longest side wanted, in blocks.

    Returns
    -------
    ndarray
        ``image`` itself when it is small enough, else float32 block means.
    """
    factors = _factors(image.shape, max_side)
    if factors == (1, 1):
        return image
    return block_reduce(np.asarray(image, dtype=np.float32), factors, func=np.mean)


def reduce_fits(path, max_side=1000, rows_per_read=1 << 22):
    """Block means of a FITS image too large for memory, read band by band.

    The same blocks as `show_image` takes of the whole image in memory
    (``ceil(longest side / max_side)`` pixels a side, at most the side's length;
    ragged edges trimmed).

    Parameters
    ----------
    path : str or os.PathLike
        FITS file; its primary HDU is read (memory-mapped, never whole).
    max_side : int, optional
        Longest side of the result, in blocks.
    rows_per_read : int, optional
        About how many pixels to hold at once.

    Returns
    -------
    reduced : ndarray of float32
        Block means, in the image's unit (BZERO/BSCALE applied).
    factors : tuple of int
        Pixels per block along y and x.
    """
    from astropy.io import fits

    with fits.open(path, memmap=True, do_not_scale_image_data=True) as hdul:
        raw, h = hdul[0].data, hdul[0].header
        ny, nx = raw.shape
        fy, fx = _factors(raw.shape, max_side)
        zero, scale = h.get("BZERO", 0.0), h.get("BSCALE", 1.0)
        nyt, nxt = ny // fy * fy, nx // fx * fx
        step = max(fy, rows_per_read // max(nx, 1) // fy * fy)
        out = []
        for r0 in range(0, nyt, step):
            band = raw[r0:min(r0 + step, nyt), :nxt].astype(np.float32) * np.float32(scale)
            band += np.float32(zero)
            out.append(band.reshape(band.shape[0] // fy, fy, nxt // fx, fx).mean(axis=(1, 3)))
    return np.concatenate(out), (fy, fx)


def show_image(image, *, ax=None, percl=1.0, percu=99.0, log=False, cmap="gray",
               max_side=1000, colorbar=True, title=None, figsize=(8, 8), block=1):
    """Show an image with a percentile stretch and a colorbar.

    Parameters
    ----------
    image : array_like
        The image (any unit; the colorbar says counts in that unit).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new pyplot figure otherwise.
    percl, percu : float, optional
        Lower and upper percentiles mapped to black and white.
    log : bool, optional
        Logarithmic rather than linear stretch.
    cmap : str, optional
        Matplotlib colormap.
    max_side : int, optional
        Larger images are block-averaged down to about this many pixels a
        side first (the screen cannot show more, and it is much faster).
    colorbar : bool, optional
        Draw a colorbar.
    title : str, optional
        Axes title.
    figsize : tuple, optional
        Size of a new figure, in inches.
    block : int or tuple of int, optional
        ``image`` is already made of block means of this many pixels a side
        (or along y and x; see `reduce_fits`); the axes count the original pixels.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    img = block_means(np.asarray(image), max_side)
    norm = ImageNormalize(img, interval=AsymmetricPercentileInterval(percl, percu),
                          stretch=LogStretch() if log else LinearStretch())
    by, bx = (block, block) if np.ndim(block) == 0 else block
    fy = max(image.shape[0] / img.shape[0], 1) * by
    fx = max(image.shape[1] / img.shape[1], 1) * bx
    extent = (-0.5, img.shape[1] * fx - 0.5, -0.5, img.shape[0] * fy - 0.5)
    im = ax.imshow(img, origin="lower", cmap=cmap, norm=norm, extent=extent,
                   interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="counts")
    if title:
        ax.set_title(title)
    ax.set_xlabel("x [pix]")
    ax.set_ylabel("y [pix]")
    return im


def save_png(image, path, *, overwrite=False, title=None, dpi=100, **kwargs):
    """Save a `show_image` picture as PNG, atomically (see `ccdsim.io.atomic_path`).

    Parameters
    ----------
    image : array_like
        The image (any unit, usually ADU).
    path : str or os.PathLike
        Output PNG file; its folder must exist.
    overwrite : bool, optional
        Replace an existing file (refused otherwise).
    title : str, optional
        Axes title.
    dpi : float, optional
        Resolution, in dots per inch (the default 8 x 7 inch figure is 800 x 700 pixels).
    **kwargs
        Options of `show_image` (``percl``, ``percu``, ``log``, ``figsize``, ...).

    Returns
    -------
    str or os.PathLike
        ``path``.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=kwargs.pop("figsize", (8, 7)), layout="constrained")
    show_image(image, ax=fig.add_subplot(), title=title, **kwargs)
    with atomic_path(path, overwrite) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return path

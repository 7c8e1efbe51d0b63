"""A generated night reduced with ccdproc as the guide teaches gives back the truth.

One small night (512x512, 5 biases, 5 darks, 5 flats, 2 science frames) is
written to disk, read back with ccdproc's ImageFileCollection, reduced
(overscan, trim, combine biases and darks, calibrate and combine flats,
calibrate the science frames) and compared with ``truth/`` and each frame's
``TRUTH``, ``COSMICS`` and ``DQ``.
"""

import os
import warnings

import astropy.units as u
import astroscrappy
import ccdproc
import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.stats import mad_std, sigma_clipped_stats
from astropy.table import Table
from photutils.aperture import CircularAperture, aperture_photometry

from ccdsim import Camera
from ccdsim.physics.cosmics import render_cosmic_rays
from ccdsim.camera.named import NIGHT_CAMERA
from ccdsim.plans.night import plan_night
from ccdsim.run.output import write_night
from ccdsim.core.quality import DQ

SHAPE = (512, 512)
FLAT_LEVEL = 20000.0  # ADU = e- (gain 1)
N_FLAT = 5
# More cosmic rays than on the ground (0.5 instead of 0.03 /cm^2/s) so each
# 512x512, 100 s science frame has ~30 and completeness means something.
CR_RATE = 0.5


@pytest.fixture(scope="module")
def reduced(tmp_path_factory):
    out = tmp_path_factory.mktemp("night")
    camera = Camera(shape=SHAPE, **{**NIGHT_CAMERA, "dust_spots": 6,
                                    "cosmic_ray_rate": CR_RATE})
    plan = plan_night(camera, n_bias=5, n_dark=5, n_flat=N_FLAT, n_science=2, stars=20,
                      flat_level=FLAT_LEVEL, seed=7)
    write_night(plan, out, progress=False)

    ifc = ccdproc.ImageFileCollection(out)

    def files(imagetyp):
        return [os.path.join(out, f) for f in ifc.files_filtered(imagetyp=imagetyp)]

    def read(path):
        ccd = CCDData.read(path, unit="adu")
        ccd = ccdproc.subtract_overscan(ccd, fits_section=ccd.header["BIASSEC"], median=True,
                                        overscan_axis=1)
        return ccdproc.trim_image(ccd, fits_section=ccd.header["TRIMSEC"])

    clip = dict(method="average", sigma_clip=True, sigma_clip_low_thresh=5,
                sigma_clip_high_thresh=5, sigma_clip_func=np.ma.median,
                sigma_clip_dev_func=mad_std)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ccdproc's notes about units and headers
        master_bias = ccdproc.combine([read(f) for f in files("BIAS")], **clip)
        darks = [ccdproc.subtract_bias(read(f), master_bias) for f in files("DARK")]
        master_dark = ccdproc.combine(darks, **clip)
        master_dark.header["EXPTIME"] = darks[0].header["EXPTIME"]

        def calibrate(path):
            ccd = ccdproc.subtract_bias(read(path), master_bias)
            return ccdproc.subtract_dark(ccd, master_dark, exposure_time="EXPTIME",
                                         exposure_unit=u.s, scale=True)

        master_flat = ccdproc.combine([calibrate(f) for f in files("FLAT")],
                                      scale=lambda a: 1 / np.ma.median(a), **clip)
        science = [(f, ccdproc.flat_correct(calibrate(f), master_flat))
                   for f in files("LIGHT")]
    assert len(files("BIAS")) == 5 and len(science) == 2
    return out, master_flat, science


def test_master_flat_matches_truth(reduced):
    """Per pixel, a master flat of 5 flats at 20000 e- has noise
    sqrt(20000 + 25)/20000/sqrt(5) = 0.32%; 1% rms leaves room for the
    dark-scaled hot pixels while failing on any missing or wrong flat part
    (vignetting 10%, dust 1-5%, PRNU 1%)."""
    out, master_flat, _ = reduced
    truth = fits.getdata(out / "truth" / "flat.fits")
    assert truth.shape == SHAPE
    assert truth.mean(dtype=float) == pytest.approx(1.0, abs=1e-6)
    edge = 20
    inner = (slice(edge, -edge), slice(edge, -edge))
    ratio = (master_flat.data / master_flat.data.mean())[inner] / truth[inner]
    assert np.std(ratio - 1) < 0.01
    # and the truth flat is not flat: it has the structure that was recovered
    assert np.std(truth[inner]) > 0.02


def _isolated(truth, radius):
    """Stars with no other star within 2 ``radius`` (apertures would share light)."""
    xy = np.transpose([truth["x_0"], truth["y_0"]])
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    return d.min(axis=1) > 2 * radius


def test_star_fluxes_and_cosmic_rays_recovered(reduced):
    """Aperture sums at the truth positions over the true flux (ADU before
    the flat): each star scatters by <= 1.5% (photon + background noise in
    a 20 px aperture), so the median of 5-15 stars is 1 +- 0.8%; the test
    allows the issue's +-2%. Cosmic rays: LA Cosmic (astroscrappy) must
    find >= 90% of the tracks (a track is found when most of its pixels
    are flagged) more than 5 px from the edges, where its filters do not
    reach (it misses even 3800 e- hits there)."""
    _, _, science = reduced
    radius = 5 * 4.0  # 5 sigma of the guide's Gaussian: all but 4e-6 of the light
    for path, ccd in science:
        truth = Table.read(path, hdu="TRUTH")
        cosmics = Table.read(path, hdu="COSMICS")
        dq = fits.getdata(path, "DQ")[:, :SHAPE[1]]
        crmask, clean = astroscrappy.detect_cosmics(ccd.data.astype(np.float32), gain=1.0,
                                                    readnoise=5.0, sigclip=4.5)

        found = []
        border = np.ones(SHAPE, dtype=bool)
        border[5:-5, 5:-5] = False
        for row in cosmics:
            pix = render_cosmic_rays(SHAPE, Table(rows=[row], names=cosmics.colnames)) > 0
            if pix.any():
                assert np.all(dq[pix] & DQ.COSMIC_RAY)
            if pix.any() and not (pix & border).any():
                found.append(crmask[pix].mean() > 0.5)
        assert len(found) >= 15  # ~ 0.5/cm^2/s x 0.59 cm^2 x 100 s = 30 expected
        assert np.mean(found) >= 0.9

        _, sky, _ = sigma_clipped_stats(clean, sigma=3)
        assert sky == pytest.approx(20.0, abs=0.5)  # the sky, flat-fielded back to flat
        keep = _isolated(truth, radius)
        assert keep.sum() >= 5  # 20 random stars on 512x512: usually 9-15 isolated
        apertures = CircularAperture(np.transpose([truth["x_0"], truth["y_0"]])[keep], r=radius)
        measured = aperture_photometry(clean - sky, apertures)["aperture_sum"]
        ratio = np.asarray(measured) / np.asarray(truth["flux"][keep])
        assert abs(np.median(ratio) - 1) < 0.02

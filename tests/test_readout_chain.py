"""CTI and brighter-fatter in frames, measured back from the FITS a camera writes.

- The EPER of flats (the charge the traps release into the serial and
  parallel overscans), measured per amplifier as a pipeline does (overscan
  columns and rows against the far overscan's level), equals ArCTIc's
  (``arcticpy.add_cti``, exact model) on the same segment and traps, within
  the noise of the mean;
- a star's trail behind it, in a frame, is removed by ``arcticpy.remove_cti``
  with the true traps (read from ``truth/cti.fits``) to within the noise;
- flat pairs of a camera with brighter-fatter: the nearest-neighbour
  covariances rise as the truth kernel predicts, within their standard errors;
- the frame's ``CTI`` extension is the charge moved, and frames without those
  effects keep their pixels (tests/test_pixel_hashes.py).
"""

import arcticpy
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from ccdsim import Camera
from ccdsim.cli import main
from ccdsim.physics.transfer.brighterfatter import flat_covariances
from ccdsim.readout.segments import read_order

TRAPS = dict(cti_parallel_density=(0.2, 0.4, 0.3), cti_parallel_release=(0.8, 6.0, 30.0),
             cti_serial_density=(0.1, 0.3), cti_serial_release=(1.0, 8.0),
             cti_well_depth=1e5, cti_well_power=0.5)
BASE = dict(shape=(300, 160), amplifiers=2, prescan=3, overscan=40, overscan_rows=30, gain=1.0,
            read_noise=3.0, bad_columns=0, hot_pixel_fraction=0.0, dark_current=0.0,
            cosmic_ray_rate=0.0)


def _arctic(segment, camera):
    """ArCTIc's exact model of a segment in read-out order with the camera's traps."""
    ccd = arcticpy.CCD(full_well_depth=camera.cti_well_depth,
                       well_notch_depth=camera.cti_well_notch,
                       well_fill_power=camera.cti_well_power)

    def traps(density, release):
        return [arcticpy.TrapInstantCapture(density=d, release_timescale=r)
                for d, r in zip(density, release)]

    return arcticpy.add_cti(segment, parallel_roe=arcticpy.ROE(), parallel_ccd=ccd,
                            parallel_traps=traps(camera.cti_parallel_density,
                                                 camera.cti_parallel_release),
                            serial_roe=arcticpy.ROE(), serial_ccd=ccd,
                            serial_traps=traps(camera.cti_serial_density,
                                               camera.cti_serial_release),
                            parallel_prune_frequency=0, serial_prune_frequency=0, verbosity=0)


def _segments(frame, camera):
    """Each amplifier's segment of a frame in read-out order, ADU (float)."""
    return [read_order(frame.data[a.segment.slices].astype(float), a.reads_towards)
            for a in camera.geometry.amplifiers]


def test_flat_eper_in_the_overscans_is_arctics():
    cam = Camera(**BASE, **TRAPS)
    amp = cam.geometry.amplifiers[0]
    pre, (h, w) = amp.prescan.shape[1], amp.data.shape
    level = 20000.0  # e- (gain 1)
    frames = [cam.expose(10.0, sky=level, quantize=False, rng=k) for k in range(4)]
    # The reference: the noiseless segment, data at the flat's level, the rest empty.
    ideal = np.zeros(amp.segment.shape)
    ideal[:h, pre:pre + w] = level
    ref = _arctic(ideal, cam)
    ref_serial = ref[:h, pre + w:pre + w + 10].mean(axis=0)
    ref_parallel = ref[h:h + 10, pre:pre + w].mean(axis=1)
    serial, parallel = [], []
    for frame in frames:
        for seg in _segments(frame, cam):
            far = np.median(seg[h:, pre + w + 30:])  # overscan well past the trails: the bias
            serial.append(seg[:h, pre + w:pre + w + 10].mean(axis=0) - far)
            parallel.append(seg[h:h + 10, pre:pre + w].mean(axis=1) - far)
    # The mean of n rows (columns) of read noise over 8 segments: sigma / sqrt(n x 8), and the
    # level's own error (the far overscan's median, 1.25 sigma / sqrt(its pixels)).
    se_serial = 3.0 / np.sqrt(h * 8) + 1.25 * 3.0 / np.sqrt(30 * 10 * 8)
    se_parallel = 3.0 / np.sqrt(w * 8) + 1.25 * 3.0 / np.sqrt(30 * 10 * 8)
    assert ref_serial[0] > 20 * se_serial and ref_parallel[0] > 20 * se_parallel  # real trails
    np.testing.assert_array_less(np.abs(np.mean(serial, axis=0) - ref_serial), 4 * se_serial)
    np.testing.assert_array_less(np.abs(np.mean(parallel, axis=0) - ref_parallel),
                                 4 * se_parallel)
    # The CTI extension holds the charge moved: the overscans' trails are charge it put there.
    moved = read_order(frames[0].moved[amp.segment.slices], amp.reads_towards)
    np.testing.assert_allclose(moved[:h, pre + w:pre + w + 10].mean(axis=0), ref_serial,
                               rtol=0.02)


def test_arcticpy_removes_the_trails_of_a_nights_stars(tmp_path):
    plan = tmp_path / "plan.toml"
    params = "\n".join(f"{k} = {list(v) if isinstance(v, tuple) else v}"
                       for k, v in {**BASE, **TRAPS}.items())
    plan.write_text(f'seed = 2\nstart = "2026-03-20T19:00:00"\nquantize = false\n'
                    f'[cameras.cti]\n{params}\n'
                    '[targets.field]\nstars = 40\nmax_counts = 20000\nsky = 500\nexposure = 30\n'
                    '[[groups]]\nkind = "science"\ncount = 1\ntarget = "field"\n'
                    'exposure = 30\n')
    assert main(["dataset", str(plan), str(tmp_path / "out"), "--quiet"]) == 0
    truth = Table.read(tmp_path / "out" / "truth" / "cti.fits")
    assert len(truth) == 5
    cam = Camera(**BASE, **TRAPS)
    frame = fits.getdata(tmp_path / "out" / "science-001.fits").astype(float)
    amp = cam.geometry.amplifiers[0]
    pre, (h, w) = amp.prescan.shape[1], amp.data.shape
    seg = read_order(frame[amp.segment.slices], amp.reads_towards)
    bias = np.median(seg[h:, pre + w + 30:])
    image = seg - bias
    ccd = arcticpy.CCD(full_well_depth=1e5, well_fill_power=0.5)

    def traps(rows):
        return [arcticpy.TrapInstantCapture(density=r["density"], release_timescale=r[
            "release_time"]) for r in truth if r["direction"] == rows]

    fixed = arcticpy.remove_cti(image, 3, parallel_roe=arcticpy.ROE(), parallel_ccd=ccd,
                                parallel_traps=traps("parallel"), serial_roe=arcticpy.ROE(),
                                serial_ccd=ccd, serial_traps=traps("serial"), verbosity=0)
    # The parallel overscan rows after the data hold the trails of every column: removed,
    # they are read noise about zero; before, well above it.
    sky_rows = image[h:h + 10, pre:pre + w]
    fixed_rows = fixed[h:h + 10, pre:pre + w]
    se = 3.0 / np.sqrt(sky_rows.size)
    assert sky_rows.mean() > 10 * se
    assert abs(fixed_rows.mean()) < 4 * se + 0.005 * sky_rows.mean()


@pytest.mark.parametrize("strength", [2.5e-6])
def test_flat_pairs_covary_as_the_brighter_fatter_truth_predicts(strength):
    cam = Camera(shape=(512, 512), gain=1.0, read_noise=2.0, bad_columns=0,
                 hot_pixel_fraction=0.0, dark_current=0.0, brighter_fatter=strength,
                 overscan=16)
    for mu in (2e4, 8e4):
        f1, f2 = (cam.expose(1.0, sky=mu, quantize=False, rng=k).data[8:-8, 8:-8 - 16]
                  .astype(float) for k in (1, 2))
        d = f1 - f2
        var = np.var(d) / 2 - 2.0 ** 2
        c01 = np.mean((d[:, 1:] - d.mean()) * (d[:, :-1] - d.mean())) / 2
        c10 = np.mean((d[1:] - d.mean()) * (d[:-1] - d.mean())) / 2
        mean = (f1.mean() + f2.mean()) / 2 - cam.bias_level
        predicted = flat_covariances(mean, strength)
        n = d.size
        # Standard errors: var sqrt(2/N) for the variance, var / sqrt(N) for a covariance.
        assert abs(var / mean - predicted[0, 0]) < 4 * np.sqrt(2 / n) * var / mean
        for c in (c01, c10):
            assert abs(c / mean - predicted[0, 1]) < 4 * var / mean / np.sqrt(n)
    assert predicted[0, 1] > 6 * var / mean / np.sqrt(n)  # at the top, the rise is measurable

"""The read-out geometry: one object says where each amplifier's sections are.

The headers, the read-out and the truth take the sections from it; several
amplifiers tile a frame exactly; FITS section strings and numpy slices are
the same sections.
"""

import numpy as np
import pytest
from ccdproc.utils.slices import slice_from_string

from ccdsim import Camera
from ccdsim.camera.named import CAMERAS, camera_parameters
from ccdsim.core.geometry import CORNERS, ReadoutGeometry, Section
from ccdsim.plans.combine import subtract_overscan
from ccdsim.plans.night import plan_night
from ccdsim.readout import digitize
from ccdsim.readout.amplifiers import AmplifierValues
from ccdsim.run.truth import truth_manifest

#: The FITS keyword of each section a header names.
KEYWORDS = {"DATASEC": "data", "TRIMSEC": "data", "BIASSEC": "serial_overscan",
            "BIASSECR": "parallel_overscan"}


def _tiles(geometry):
    """How many sections cover each pixel of the frame (1 everywhere: an exact tiling)."""
    count = np.zeros(geometry.shape, dtype=int)
    for amp in geometry.amplifiers:
        for section in amp.sections().values():
            assert 0 <= section.y0 <= section.y1 <= geometry.shape[0], section
            assert 0 <= section.x0 <= section.x1 <= geometry.shape[1], section
            count[section.slices] += 1
    return count


@pytest.mark.parametrize("name", sorted(n for n in CAMERAS
                                         if camera_parameters(n)["amplifiers"] == 1))
def test_named_cameras_write_their_geometry_in_the_header(name):
    cam = Camera(**camera_parameters(name))
    geometry = cam.geometry
    amp = geometry.amplifier
    header = cam.prepare(0.0, rng=1).header()
    ny, nx = cam.shape
    assert geometry.shape == cam.readout_shape == (ny + cam.overscan_rows, nx + cam.overscan)
    assert geometry.detector_shape == cam.shape and amp.detector == Section(0, ny, 0, nx)
    assert amp.reads_towards == "lower-left" and amp.prescan.size == 0
    for key, section in KEYWORDS.items():
        if getattr(amp, section).size:
            assert Section.from_fits(header[key]) == getattr(amp, section), key
            assert header[key] == getattr(amp, section).fits
        else:
            assert key not in header
    assert (_tiles(geometry) == 1).all()


def test_the_cryogenic_chip_as_the_guide_reads_it():
    amp = Camera(**camera_parameters("cryogenic")).geometry.amplifier
    assert (amp.data.fits, amp.serial_overscan.fits, amp.parallel_overscan.fits) == \
        ("[1:2048,1:4096]", "[2049:2080,1:4096]", "[1:2048,4097:4128]")
    assert amp.overscan_corner.slices == (slice(4096, 4128), slice(2048, 2080))


def test_a_frame_has_the_shape_of_its_geometry_and_its_sections_where_it_says():
    """The overscan rows and columns read the overscan level, the data the bias level."""
    cam = Camera(shape=(130, 70), overscan=9, overscan_rows=5, read_noise=0.0, bias_level=500.0,
                 overscan_offset=-40.0, bad_columns=0, hot_pixel_fraction=0.0)
    frame = cam.expose(0.0, rng=2)
    amp = cam.geometry.amplifier
    assert frame.data.shape == frame.dq.shape == cam.geometry.shape
    assert (frame.data[amp.data.slices] == 500).all()
    for name in ("serial_overscan", "parallel_overscan", "overscan_corner"):
        assert (frame.data[getattr(amp, name).slices] == 460).all(), name


@pytest.mark.parametrize("layout, prescan, overscan_rows",
                         [((1, 1), 0, 0), ((1, 2), 0, 0), ((1, 2), 4, 6), ((2, 2), 3, 5),
                          ((2, 3), 0, 7), ((2, 4), 2, 0)])
def test_amplifier_grids_tile_the_frame_exactly(layout, prescan, overscan_rows):
    ny, nx = 60, 120
    g = ReadoutGeometry.grid((ny, nx), 10, overscan_rows, layout=layout, prescan=prescan)
    assert len(g.amplifiers) == layout[0] * layout[1]
    assert g.shape == (ny + layout[0] * overscan_rows, nx + layout[1] * (10 + prescan))
    assert (_tiles(g) == 1).all()
    # The data sections cover the detector once, each the size of its piece.
    covered = np.zeros(g.detector_shape, dtype=int)
    for amp in g.amplifiers:
        assert amp.reads_towards in CORNERS
        assert amp.data.shape == amp.detector.shape
        covered[amp.detector.slices] += 1
    assert g.detector_shape == (ny, nx) and (covered == 1).all()
    # Each amplifier's sections tile its segment; the segments tile the frame.
    segments = np.zeros(g.shape, dtype=int)
    for amp in g.amplifiers:
        segments[amp.segment.slices] += 1
        assert sum(s.size for s in amp.sections().values()) == amp.segment.size
    assert (segments == 1).all()


def test_two_amplifiers_side_by_side_each_with_its_overscan_at_its_far_edge():
    g = ReadoutGeometry.grid((100, 200), overscan=16, layout=(1, 2))
    left, right = g.amplifiers
    assert g.shape == (100, 232)
    assert (left.reads_towards, right.reads_towards) == ("lower-left", "lower-right")
    # Left: data then overscan; right: overscan then data (its far edge is its left one).
    assert left.data == Section(0, 100, 0, 100) and left.serial_overscan == Section(0, 100, 100, 116)
    assert right.serial_overscan == Section(0, 100, 116, 132)
    assert right.data == Section(0, 100, 132, 232)
    assert (left.last_data_column, right.last_data_column) == (99, 132)
    assert list(left.serial_overscan_columns()[:2]) == [100, 101]
    assert list(right.serial_overscan_columns()[:2]) == [131, 130]
    assert (left.detector, right.detector) == (Section(0, 100, 0, 100), Section(0, 100, 100, 200))
    assert (_tiles(g) == 1).all()
    with pytest.raises(ValueError, match="through 2 amplifiers, not one"):
        g.amplifier
    trimmed = g.trimmed()
    assert trimmed.shape == (100, 200) and (_tiles(trimmed) == 1).all()


def test_a_chip_that_cannot_be_shared_equally_is_refused():
    with pytest.raises(ValueError, match="equally"):
        ReadoutGeometry.grid((100, 201), 4, layout=(1, 2))
    with pytest.raises(ValueError, match="equally"):
        ReadoutGeometry.grid((90, 200), 4, layout=(3, 1))
    with pytest.raises(ValueError, match="no geometry"):
        ReadoutGeometry.grid((90, 200), -1)


@pytest.mark.parametrize("layout", [(1, 1), (1, 2), (2, 2), (2, 3)])
def test_fits_sections_round_trip_with_the_slices(layout):
    g = ReadoutGeometry.grid((40, 60), 6, 4, layout=layout, prescan=2)
    frame = np.arange(np.prod(g.shape)).reshape(g.shape)
    for amp in g.amplifiers:
        for section in amp.sections().values():
            if not section.size:
                with pytest.raises(ValueError, match="empty"):
                    section.fits
                continue
            assert Section.from_fits(section.fits) == section
            # Read as ccdproc reads a FITS section: the same pixels.
            assert slice_from_string(section.fits, fits_convention=True) == section.slices
            np.testing.assert_array_equal(frame[Section.from_fits(section.fits).slices],
                                          frame[section.slices])


@pytest.mark.parametrize("text", ["[1:10]", "1:10,1:5", "[0:10,1:5]", "[10:1,1:5]", "[a:b,c:d]"])
def test_malformed_or_flipped_fits_sections_are_refused(text):
    with pytest.raises(ValueError):
        Section.from_fits(text)


def test_regions_of_rows_and_columns():
    g = ReadoutGeometry.grid((20, 40), 5, 3, layout=(2, 2))  # segments 13 rows x 25 columns
    index, regions = g.regions(slice(10, 16))
    assert list(index) == [0, 1, 2, 3]
    assert regions.tolist() == [[0, 3, 0, 25], [0, 3, 25, 50], [3, 6, 0, 25], [3, 6, 25, 50]]
    index, regions = g.regions(slice(0, 4), np.array([3, 24, 40]))
    assert list(index) == [0, 1] and regions.tolist() == [[0, 4, 0, 2], [0, 4, 2, 3]]
    levels = g.fill(np.array([1.0, 2.0, 3.0, 4.0]), slice(0, 26))
    assert (levels[:13, :25] == 1).all() and (levels[13:, 25:] == 4).all()


def test_each_amplifier_reads_with_its_own_gain_and_read_noise():
    """Two regions of one block: each pixel is (e + read noise x deviate) / its gain + bias."""
    electrons = np.full((4, 6), 1000, dtype=np.int64)
    bias = np.full((4, 8), 100.0, dtype=np.float32)
    noise = np.random.default_rng(1).standard_normal((4, 8), dtype=np.float32)
    regions = np.array([[0, 4, 0, 3], [0, 4, 3, 8]], dtype=np.int64)
    out = np.empty((4, 8), dtype=np.float32)
    digitize(electrons, None, read_noise=np.array([2.0, 5.0]), gain=np.array([1.0, 4.0]),
             bias=bias, quantize=False, out=out, noise=noise, regions=regions)
    e = np.zeros((4, 8))
    e[:, :6] = 1000
    rn, gain = np.array([2.0] * 3 + [5.0] * 5), np.array([1.0] * 3 + [4.0] * 5)
    np.testing.assert_array_equal(out, ((e + rn * noise) / gain + bias).astype(np.float32))


def test_one_amplifier_reads_as_a_scalar_gain_and_read_noise_did():
    rng = np.random.default_rng(3)
    electrons = rng.poisson(500.0, size=(5, 7))
    bias = rng.normal(1000, 3, size=(5, 9)).astype(np.float32)
    noise = rng.standard_normal((5, 9), dtype=np.float32)
    a, b = np.empty((5, 9), np.uint16), np.empty((5, 9), np.uint16)
    digitize(electrons, None, read_noise=4.5, gain=1.7, bias=bias, quantize=True, out=a,
             noise=noise)
    g = ReadoutGeometry.grid((5, 7), 2)
    values = AmplifierValues.uniform(g, 1.7, 4.5, 1000.0)
    index, regions = g.regions(slice(0, 5))
    digitize(electrons, None, read_noise=values.read_noise[index], gain=values.gain[index],
             bias=bias, quantize=True, out=b, noise=noise, regions=regions)
    np.testing.assert_array_equal(a, b)


def test_overscan_subtraction_uses_the_serial_overscan():
    cam = Camera(shape=(40, 30), overscan=8, overscan_rows=4)
    data = np.zeros(cam.readout_shape)
    data[:, 30:] = np.arange(cam.readout_shape[0])[:, None]  # each row's overscan level
    data[:, 30:32] = 1e6  # light leaking into the first two columns: skipped
    out = subtract_overscan(data, cam, start=2)
    np.testing.assert_array_equal(out[:, :30], -np.arange(cam.readout_shape[0])[:, None]
                                  * np.ones((1, 30)))


def test_the_truth_manifest_says_where_the_sections_are():
    plan = plan_night(Camera(shape=(64, 48), overscan=6, overscan_rows=2), n_bias=1, n_dark=0,
                      n_flat=0, n_science=0, seed=1)
    (cam,) = truth_manifest(plan)["cameras"].values()
    assert cam["shape"] == [64, 48] and cam["readout_shape"] == [66, 54]
    assert cam["amplifiers"] == [{"name": "A", "reads_towards": "lower-left",
                                  "data": "[1:48,1:64]", "serial_overscan": "[49:54,1:64]",
                                  "parallel_overscan": "[1:48,65:66]",
                                  "overscan_corner": "[49:54,65:66]", "detector": "[1:48,1:64]",
                                  "gain": 1.0, "read_noise": 5.0, "bias_level": 1100.0}]


@pytest.mark.parametrize("name", sorted(n for n in CAMERAS
                                         if camera_parameters(n)["amplifiers"] > 1))
def test_cameras_of_several_amplifiers_write_each_ones_sections(name):
    cam = Camera(**camera_parameters(name))
    header = cam.prepare(0.0, rng=1).header()
    assert header["DETSIZE"] == Section(0, *cam.shape[:1], 0, cam.shape[1]).fits
    for amp, gain in zip(cam.geometry.amplifiers, cam.amplifier_values.gain):
        for key, section in (("DATASEC", amp.data), ("BIASSEC", amp.serial_overscan),
                             ("BIASSR", amp.parallel_overscan), ("PRESEC", amp.prescan),
                             ("DETSEC", amp.detector)):
            assert Section.from_fits(header[key + amp.name]) == section, key + amp.name
        assert header["GAIN" + amp.name] == gain
    assert (_tiles(cam.geometry) == 1).all()

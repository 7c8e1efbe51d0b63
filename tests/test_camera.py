"""Camera identity (defects from the camera seed) and frame reproducibility."""

import numpy as np
import pytest

from ccdsim import Camera
from ccdsim.core.seeds import parse_seed_text


def test_default_camera_is_the_guides():
    cam = Camera()
    assert cam.shape == (2000, 2000)
    assert (cam.gain, cam.read_noise, cam.bias_level, cam.dark_current) == (1.0, 5.0, 1100.0, 0.1)
    assert len(cam.bad_column_indices) == 5
    assert cam.hot_pixel_mask.sum() == 400  # 0.01% of 4e6
    assert np.allclose(cam.dark_map[cam.hot_pixel_mask], 1000.0)  # 10,000 x 0.1 e-/s


def test_defects_shared_by_frames_of_one_camera():
    cam = Camera(shape=(300, 400), dark_current=1.0, read_noise=2.0)
    twin = Camera(shape=(300, 400), dark_current=1.0, read_noise=2.0)
    np.testing.assert_array_equal(cam.bias_map, twin.bias_map)
    np.testing.assert_array_equal(cam.hot_pixel_mask, twin.hot_pixel_mask)
    # The hot pixels sit in the same places in every frame: at 1e4 e-/s x 10 s
    # they are ~1e5 e-, saturated, while the rest is ~10 e-.
    f1 = cam.expose(10, rng=1).data
    f2 = twin.expose(10, rng=2).data
    for f in (f1, f2):
        np.testing.assert_array_equal(f == 65535, cam.hot_pixel_mask)
    # Bad columns: mean over rows of the column minus the bias level tracks the pattern.
    cols = cam.bad_column_indices
    good = np.setdiff1d(np.arange(400), cols)
    for f in (f1, f2):
        excess = f[:, cols].mean(axis=0) - f[:, good].mean()
        # pattern mean ~ 0.1*1100/2 = 55 ADU; noise on a 300-row mean ~ 0.3 ADU
        assert np.all(excess > 40)


def test_camera_seed_changes_defects_each_kind_independently():
    a = Camera(shape=(500, 500), camera_seed=1)
    b = Camera(shape=(500, 500), camera_seed=2)
    assert not np.array_equal(a.bad_column_indices, b.bad_column_indices)
    assert not np.array_equal(a.hot_pixel_mask, b.hot_pixel_mask)
    # Independent streams: changing the hot pixels leaves the bad columns alone.
    c = Camera(shape=(500, 500), camera_seed=1, hot_pixel_fraction=1e-3)
    np.testing.assert_array_equal(a.bias_map, c.bias_map)
    d = Camera(shape=(500, 500), camera_seed=1, bad_columns=9)
    np.testing.assert_array_equal(a.hot_pixel_mask, d.hot_pixel_mask)


def test_hot_pixels_are_single_pixels_not_rows():
    """The guide indexed with a list and lit ~660 whole rows; we set single pixels."""
    cam = Camera(shape=(1000, 1000))
    rows_hit = np.count_nonzero(cam.hot_pixel_mask.any(axis=1))
    assert cam.hot_pixel_mask.sum() == 100
    assert rows_hit <= 100


def test_same_rng_same_frame_and_other_rng_other_frame():
    cam = Camera(shape=(300, 300))
    a = cam.expose(100, sky=20, stars=10, rng=42)
    b = cam.expose(100, sky=20, stars=10, rng=42)
    c = cam.expose(100, sky=20, stars=10, rng=43)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.truth.values_equal(b.truth)
    assert not np.array_equal(a.data, c.data)
    # A Generator is accepted too and is advanced, so two calls differ.
    g = np.random.default_rng(5)
    assert not np.array_equal(cam.expose(1, sky=5, rng=g).data, cam.expose(1, sky=5, rng=g).data)


def test_frame_can_be_remade_from_its_header():
    cam = Camera(shape=(200, 256))
    first = cam.expose(30, sky=50, stars=3)  # fresh entropy
    again = cam.expose(30, sky=50, stars=3, rng=parse_seed_text(first.header["FRMSEED"]))
    np.testing.assert_array_equal(first.data, again.data)


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_thread_count_does_not_change_pixels(threads):
    cam = Camera(shape=(700, 300))  # 6 row blocks, the last one partial
    ref = cam.expose(100, sky=20, stars=5, threads=1, rng=9).data
    np.testing.assert_array_equal(cam.expose(100, sky=20, stars=5, threads=threads, rng=9).data,
                                  ref)


def test_imagetyp_follows_content():
    cam = Camera(shape=(50, 50))
    assert cam.expose(0, rng=1).header["IMAGETYP"] == "Bias Frame"
    assert cam.expose(10, rng=1).header["IMAGETYP"] == "Dark Frame"
    assert cam.expose(10, sky=3, rng=1).header["IMAGETYP"] == "Light Frame"
    assert cam.expose(10, sky=3, imagetyp="Flat Field", rng=1).header["IMAGETYP"] == "Flat Field"


def test_camera_streams_never_equal_frame_streams_with_the_same_seed():
    """A camera seed equal to a frame seed still gives independent streams."""
    from ccdsim.core.seeds import Defect, Stream, camera_rng, child_rng, frame_seed_sequence

    for seed in (0, 8392, 12345):
        frame = frame_seed_sequence(seed)
        for kind in (Defect.BAD_COLUMNS, Defect.HOT_PIXELS, Defect.FLAT, Defect.DUST):
            cam = camera_rng(seed, kind).random(4)
            for stream in (Stream.STARS, Stream.COSMIC_RAYS):
                assert not np.array_equal(cam, child_rng(frame, stream).random(4))

"""Frames in bands (dask arrays streamed into FITS): the same pixels as in memory."""

import numpy as np
import pytest
from astropy.io import fits

from ccdsim import Camera
from ccdsim.run.bigframe import exposure_to_dask, write_chunked
from ccdsim.cli import main

SHAPE = ["--shape", "700", "260"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "whole.fits"
    assert main(["image", str(out), *SHAPE, "--seed", "8", "--stars", "12", "--quiet"]) == 0
    with fits.open(out) as h:
        return h[0].data.copy(), h["DQ"].data.copy(), h["TRUTH"].data.copy()


@pytest.mark.parametrize("chunks", ["128", "256", "640", "1024"])
def test_chunked_file_equals_in_memory_file(tmp_path, reference, chunks):
    out = tmp_path / "bands.fits"
    assert main(["image", str(out), *SHAPE, "--seed", "8", "--stars", "12", "--quiet",
                 "--chunks", chunks]) == 0
    with fits.open(out) as h:
        np.testing.assert_array_equal(h[0].data, reference[0])
        np.testing.assert_array_equal(h["DQ"].data, reference[1])
        np.testing.assert_array_equal(h["TRUTH"].data, reference[2])
        assert h[0].header["FRMSEED"] == "8"
    assert [p.name for p in tmp_path.iterdir()] == ["bands.fits"]


def test_chunked_on_dask_workers_equals_in_memory(tmp_path, reference):
    out = tmp_path / "dask.fits"
    assert main(["image", str(out), *SHAPE, "--seed", "8", "--stars", "12", "--quiet",
                 "--chunks", "256", "--workers", "2"]) == 0
    np.testing.assert_array_equal(fits.getdata(out), reference[0])


def test_dask_array_bands_match_rows():
    cam = Camera(shape=(300, 200), gain=2.0)
    ex = cam.prepare(30, sky=100, stars=4, rng=1)
    data, dq = exposure_to_dask(ex, chunk_rows=128)
    assert data.chunks[0] == (128, 128, 44)
    whole = ex.frame()
    np.testing.assert_array_equal(data.compute(), whole.data)
    np.testing.assert_array_equal(dq.compute(), whole.dq)


def test_float_frames_stream_too(tmp_path):
    cam = Camera(shape=(260, 100))
    ex = cam.prepare(10, sky=5, quantize=False, rng=3)
    write_chunked(ex, tmp_path / "f.fits", chunk_rows=128)
    np.testing.assert_array_equal(fits.getdata(tmp_path / "f.fits"), ex.frame().data)


@pytest.mark.parametrize("extra,name", [
    (["--chunks", "100"], "chunks must be an integer in [128,"),
    (["--chunks", "200"], "chunks must be a multiple of 128"),
    (["--chunks", "0"], "chunks"),
    (["--workers", "2"], "add --chunks"),
])
def test_chunk_bad_input(tmp_path, capsys, extra, name):
    out = tmp_path / "a.fits"
    extra = [e if e != "x.png" else str(tmp_path / "x.png") for e in extra]
    assert main(["image", str(out), *SHAPE, "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and name in err[0]
    assert list(tmp_path.iterdir()) == []


def test_preview_of_a_streamed_frame_has_the_in_memory_blocks(tmp_path):
    """--png with --chunks reads the file band by band: the same block means as show_image."""
    from ccdsim.io.display import block_means, reduce_fits

    big = ["--shape", "2600", "300", "--seed", "2", "--stars", "5", "--quiet"]
    out, png = tmp_path / "b.fits", tmp_path / "b.png"
    assert main(["image", str(out), *big, "--chunks", "256", "--png", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = fits.getdata(out)
    reduced, factor = reduce_fits(out, rows_per_read=300 * 7)  # bands of a few blocks
    assert factor == (3, 3) and reduced.shape == (866, 100)  # 2600 // 3 rows, edges trimmed
    np.testing.assert_array_equal(reduced, block_means(data, 1000))


@pytest.mark.parametrize("shape", [(2, 5000), (1, 100000), (3000, 1)])
@pytest.mark.parametrize("chunks", [[], ["--chunks", "128"]], ids=["whole", "chunks"])
def test_preview_of_thin_frames(tmp_path, shape, chunks):
    """A frame one or two pixels thin still gets its preview (its rows are not averaged away)."""
    out, png = tmp_path / "t.fits", tmp_path / "t.png"
    argv = ["image", str(out), "--shape", *map(str, shape), "--seed", "1", "--no-bad-columns",
            "--quiet", "--png", str(png), *chunks]
    assert main(argv) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

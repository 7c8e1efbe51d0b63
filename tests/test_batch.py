"""Batches: reproducible frames, resumable runs, and the same pixels on Dask."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from ccdsim.run.batch import BatchPlan, Range, make_batch_frame, run_batch
from ccdsim.cli import main

SHAPE = (96, 128)


def plan(n=6, seed=3):
    return BatchPlan(n=n, seed=seed, shape=SHAPE,
                     ranges={"gain": Range(0.5, 3.0), "stars": Range(0, 8, True),
                             "sky": Range(5, 500)})


def pixels(folder, n):
    return [fits.getdata(os.path.join(folder, f"frame_{i:04d}.fits")) for i in range(n)]


def test_frame_depends_on_seed_and_index_only():
    a, b = plan(n=3), plan(n=500)
    np.testing.assert_array_equal(make_batch_frame(a, 2).data, make_batch_frame(b, 2).data)
    assert a.frame_parameters(2) == b.frame_parameters(2)
    assert a.frame_parameters(1) != a.frame_parameters(2)
    g = [a.frame_parameters(i)["gain"] for i in range(3)]
    assert all(0.5 <= x <= 3.0 for x in g)


def test_parameters_recorded_in_headers_and_manifest(tmp_path):
    p = plan()
    run_batch(p, tmp_path, progress=False)
    manifest = Table.read(tmp_path / "manifest.ecsv")
    assert len(manifest) == p.n
    for row in manifest:
        h = fits.getheader(tmp_path / row["file"])
        assert h["GAIN"] == pytest.approx(row["gain"])
        assert h["SKYADU"] == pytest.approx(row["sky"])
        assert h["NSTARS"] == row["stars"] and h["BATCHIDX"] == row["index"]
    # The drawn gains spread over the range: 6 uniform draws in [0.5, 3] all
    # fall in one half of it with probability 2 * 0.5**6 = 3%; in one
    # quarter-wide window with probability below 6 * 0.25**5 = 0.6%.
    assert manifest["gain"].max() - manifest["gain"].min() > 0.25 * 2.5


def test_resume_skips_complete_frames_and_redoes_broken_ones(tmp_path):
    p = plan()
    first = run_batch(p, tmp_path, progress=False)
    assert first == {"made": 6, "skipped": 0}
    ref = pixels(tmp_path, 6)
    # A worker that died mid-write leaves at most a temporary; a corrupt frame
    # (truncated) and a missing one must be redone; the rest are skipped.
    (tmp_path / ".frame_0001.fits.abc.part").write_bytes(b"partial")
    f2 = tmp_path / "frame_0002.fits"
    f2.write_bytes(f2.read_bytes()[:5000])
    os.unlink(tmp_path / "frame_0004.fits")
    mtime = os.path.getmtime(tmp_path / "frame_0000.fits")
    again = run_batch(p, tmp_path, progress=False)
    assert again == {"made": 2, "skipped": 4}
    assert os.path.getmtime(tmp_path / "frame_0000.fits") == mtime
    assert not list(tmp_path.glob(".*part"))
    for a, b in zip(ref, pixels(tmp_path, 6)):
        np.testing.assert_array_equal(a, b)


def test_other_plan_in_folder_is_refused(tmp_path, capsys):
    run_batch(plan(seed=3), tmp_path, progress=False)
    args = ["batch", str(tmp_path), "--n", "6", "--seed", "4", "--shape", "96", "128", "--quiet"]
    assert main(args) == 2
    assert "holds another batch" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0


@pytest.mark.parametrize("extra,name", [
    (["--gain", "3:1"], "gain range"), (["--gain", "x"], "gain"), (["--stars", "1.5"], "stars"),
    (["--sky", "-1:5"], "sky"), (["--n", "0"], "n must be"), (["--workers", "0"], "workers"),
    (["--scheduler", "localhost"], "scheduler"), (["--exposure", "nan"], "exposure"),
    (["--scheduler", "tcp://127.0.0.1:1"], "cannot reach the scheduler at tcp://127.0.0.1:1"),
])
def test_batch_bad_input(tmp_path, capsys, extra, name):
    out = tmp_path / "b"
    args = ["batch", str(out), "--n", "2", "--shape", "32", "32", "--quiet", *extra]
    if "--n" in extra:
        args = ["batch", str(out), "--shape", "32", "32", "--quiet", *extra]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and name in err[0]
    assert not out.exists()


def test_serial_local_and_remote_dask_give_identical_files(tmp_path):
    """A real dask.distributed scheduler and workers on 127.0.0.1."""
    p = plan(n=5)
    run_batch(p, tmp_path / "serial", progress=False)
    run_batch(p, tmp_path / "local", workers=2, progress=False)
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                              "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = None
    try:
        address = None
        deadline = time.monotonic() + 60
        while address is None and time.monotonic() < deadline:
            line = sched.stdout.readline()
            if "Scheduler at:" in line:
                address = line.split("Scheduler at:")[1].strip()
        assert address and address.startswith("tcp://127.0.0.1:")
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert main(["batch", str(tmp_path / "remote"), "--n", "5", "--seed", "3",
                     "--shape", "96", "128", "--gain", "0.5:3", "--stars", "0:8",
                     "--sky", "5:500", "--scheduler", address, "--quiet"]) == 0
    finally:
        for proc in (worker, sched):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    serial = pixels(tmp_path / "serial", 5)
    for other in ("local", "remote"):
        for a, b in zip(serial, pixels(tmp_path / other, 5)):
            np.testing.assert_array_equal(a, b)


def _die_once_then_write(args):
    """A batch task whose worker dies mid-write the first time it meets each frame.

    Module level, so Dask workers import it from this file.
    """
    from ccdsim.io import atomic_path

    plan, i, outdir, marker_dir = args
    marker = os.path.join(marker_dir, f"died-{i}")
    path = os.path.join(outdir, plan.filename(i))
    if not os.path.exists(marker):
        open(marker, "w").close()
        with atomic_path(path, overwrite=True) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"SIMPLE  =                    T half a frame")
            os._exit(1)  # the worker process dies with its temporary on disk
    make_batch_frame(plan, i, threads=1).write(path, overwrite=True)
    return i


def test_dead_workers_leave_no_partial_file_and_their_frames_are_redone(tmp_path):
    """Every task kills its worker once, mid-write; Dask reruns it on a fresh worker."""
    from ccdsim.run.execute import run_tasks
    from ccdsim.io import remove_stale_temporaries

    p = plan(n=3)
    out, markers = tmp_path / "out", tmp_path / "markers"
    out.mkdir()
    markers.mkdir()
    done = run_tasks(_die_once_then_write, [(p, i, str(out), str(markers)) for i in range(3)],
                     workers=2, progress=False)
    assert done == [0, 1, 2]
    assert sorted(os.listdir(markers)) == ["died-0", "died-1", "died-2"]  # each died once
    # what the dead workers left is hidden and recognised; the frames are whole
    assert len(remove_stale_temporaries(out, "frame_*")) == 3
    assert sorted(os.listdir(out)) == [p.filename(i) for i in range(3)]
    for i in range(3):
        np.testing.assert_array_equal(fits.getdata(out / p.filename(i)),
                                      make_batch_frame(p, i).data)


def test_overwrite_with_another_plan_remakes_every_frame(tmp_path, capsys):
    base = ["batch", str(tmp_path), "--n", "3", "--shape", "32", "48", "--quiet"]
    assert main(base) == 0
    assert main(base[:3] + ["2"] + base[4:] + ["--gain", "3", "--overwrite"]) == 0
    assert "2 frames made, 0 already complete" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.glob("frame_*")) == ["frame_0000.fits",
                                                                "frame_0001.fits"]
    assert all(fits.getheader(p)["GAIN"] == 3.0 for p in tmp_path.glob("frame_*"))


def test_frames_of_no_plan_are_never_replaced_silently(tmp_path, capsys):
    stranger = tmp_path / "frame_0000.fits"
    stranger.write_bytes(b"somebody's data")
    args = ["batch", str(tmp_path), "--n", "2", "--shape", "32", "32", "--quiet"]
    assert main(args) == 2
    assert "frames of no batch plan" in capsys.readouterr().err
    assert stranger.read_bytes() == b"somebody's data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame_0000.fits"]

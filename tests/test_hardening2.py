"""Hardening II: every defect of the issue, reproduced.

Each test below fails on the code before its fix (the issue's examples, and
what writing these tests found) and passes now; the one guard that cannot
fail on the old code says so. The rule they check: bad input, or an output the machine refuses, is one
line on stderr (``ccdsim: error: ...``) that names the user's path or option,
exit status 2 and nothing written; a stop signal is one line, exit 128 +
signal, no partial file; a killed run (even with SIGKILL) is finished by the
next one as if it had never been interrupted.

Folders that cannot be written and disks that fill up are real file systems
(a tmpfs mounted read-only, a 2 MB tmpfs) where this machine lets the tests
mount one (as root); elsewhere permission bits (which stop anyone but root)
and a reported free space stand in for them.
"""

import errno
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from ccdsim.cli import main
from conftest import mount_tmpfs

CCDSIM = [sys.executable, "-m", "ccdsim"]
# How the writer's host is spelled in a temporary's name (.NAME.HOST-PID-RANDOM.part).
HOST = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40] or "host"
NIGHT_64 = ["--shape", "64", "64", "--n-bias", "1", "--n-dark", "1", "--n-flat", "1", "--quiet"]


def ccdsim(*args, timeout=180):
    """Run the command line in a fresh interpreter (exit status, stdout, stderr)."""
    return subprocess.run([*CCDSIM, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def error_line(err):
    """The one line a refusal prints (and nothing else: no traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ccdsim: error: "), err[-3000:]
    return lines[0]


def temporaries(folder):
    """Hidden temporaries of writers, anywhere under ``folder``."""
    return sorted(str(p) for p in Path(folder).rglob("*") if ".part" in p.name)


def all_files(folder):
    """Every file under ``folder`` (hidden ones too), relative to it."""
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())


def snapshot(folder):
    return {name: (Path(folder) / name).read_bytes() for name in all_files(folder)}


def dead_pid():
    """The process id of a process that has certainly ended."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def whole(path):
    """True if ``path`` is a complete FITS file (every HDU read, checksums verified)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with fits.open(path, checksum=True) as hdul:
                hdul.verify("exception")
                for hdu in hdul:
                    hdu.data
        return True
    except Exception:
        return False


# 1. Cosmic rays without a bound -------------------------------------------------------------

@pytest.mark.parametrize("command", ["night", "image"])
def test_too_many_cosmic_rays_refused_before_anything_is_written(tmp_path, capsys, command):
    """1.5e8 tracks asked for: was a MemoryError traceback after truth/ was written."""
    out = tmp_path / ("n" if command == "night" else "a.fits")
    frames = (["--n-bias", "0", "--n-dark", "0", "--n-flat", "0", "--n-science", "1"]
              if command == "night" else [])
    assert main([command, str(out), "--shape", "256", "256", *frames, "--cosmic-ray-rate",
                 "1000", "--exposure", "1e6"]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith("ccdsim: error: --cosmic-ray-rate 1000") and "cosmic rays" in line
    assert list(tmp_path.iterdir()) == []


# 2. SIGTERM and SIGHUP stop a run as Ctrl-C does; leftovers of killed runs are removed -------

def _wait_for_temporaries(proc, folder, count=1, timeout=60):
    """Wait until ``count`` hidden temporaries are in ``folder`` (the run is writing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len([e for e in os.listdir(folder) if e.startswith(".") and ".part" in e]) >= count:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.005)
    proc.kill()
    pytest.fail(f"no temporary appeared in {folder}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_stop_signal_while_a_frame_streams_leaves_nothing(tmp_path, sig):
    """SIGTERM (kill, systemd, SLURM, timeout) was exit 143, no word, .part files left."""
    out = tmp_path / "big.fits"
    proc = subprocess.Popen([*CCDSIM, "image", str(out), "--shape", "4096", "4096",
                             "--chunks", "256", "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_for_temporaries(proc, tmp_path)  # it is writing
    proc.send_signal(sig)
    stdout, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig
    assert err.strip().splitlines() == [f"ccdsim: stopped by {sig.name}; no partial files left"]
    assert stdout == "" and os.listdir(tmp_path) == []


def test_stop_signal_wrapped_by_the_code_it_interrupts_is_still_a_stop(tmp_path, capsys,
                                                                       monkeypatch):
    """SIGTERM while a module was being imported came out as a RuntimeError, exit 1.

    (The stress test below found it: a class body's ``__set_name__`` wraps what
    it catches.) Here the signal arrives in code that wraps it the same way.
    """
    import ccdsim.cli.night

    def interrupted_check(args):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises here
        except BaseException as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from exc
        pytest.fail("no stop signal handler")

    monkeypatch.setattr(ccdsim.cli.night, "check", interrupted_check)  # the command's work

    def not_handled(signum, frame):  # main installs its own; this one only guards pytest
        raise AssertionError("SIGTERM reached the test, not ccdsim")

    previous = signal.signal(signal.SIGTERM, not_handled)
    try:
        code = main(["night", str(tmp_path / "n"), *NIGHT_64])
    finally:
        assert signal.signal(signal.SIGTERM, previous) is not_handled  # restored by main
    assert code == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "ccdsim: stopped by SIGTERM; no partial files left\n"
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_a_run_killed_mid_stream_are_removed_by_the_next_run(tmp_path):
    """SIGKILL cleans up nothing: the next run into the file removes all its scratch files."""
    out = tmp_path / "big.fits"
    proc = subprocess.Popen([*CCDSIM, "image", str(out), "--shape", "4096", "4096",
                             "--chunks", "256", "--quiet"])
    _wait_for_temporaries(proc, tmp_path, 2)  # the image and its DQ bits are being written
    proc.kill()
    proc.wait(timeout=60)
    assert len(temporaries(tmp_path)) == 2 and not out.exists()
    assert main(["image", str(out), "--shape", "64", "64", "--quiet"]) == 0
    assert os.listdir(tmp_path) == ["big.fits"]


def test_temporary_of_a_dead_writer_is_removed_by_the_next_run(tmp_path):
    stale = tmp_path / f".a.fits.{HOST}-{dead_pid()}-0123456789ab.part"
    stale.write_bytes(b"SIMPLE  =                    T" + b" " * 50)  # cut short
    assert main(["image", str(tmp_path / "a.fits"), "--shape", "64", "64", "--quiet"]) == 0
    assert os.listdir(tmp_path) == ["a.fits"]


def test_every_temporary_a_killed_batch_leaves_is_removed_by_the_next_run(tmp_path, capsys):
    """A batch killed while writing its plan or manifest left their temporaries for good."""
    out = tmp_path / "b"
    argv = ["batch", str(out), "--n", "2", "--shape", "64", "64", "--quiet"]
    assert main(argv) == 0
    pid = dead_pid()
    for name in ("batch.toml", "manifest.ecsv", "frame_0001.fits"):
        (out / f".{name}.{HOST}-{pid}-0123456789ab.part").write_bytes(b"cut short")
    assert main(argv) == 0
    assert all_files(out) == ["batch.toml", "frame_0000.fits", "frame_0001.fits",
                              "manifest.ecsv"]


def test_temporary_of_a_live_writer_is_kept(tmp_path):
    """Another process may be writing it: only its own run may remove it.

    A guard on the fix above (the old code removed no temporary at all).
    """
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        live = tmp_path / f".a.fits.{HOST}-{sleeper.pid}-0123456789ab.part"
        live.write_bytes(b"")
        assert main(["image", str(tmp_path / "a.fits"), "--shape", "64", "64", "--quiet"]) == 0
        assert live.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


# 3. One night per folder --------------------------------------------------------------------

def test_overwrite_leaves_exactly_the_new_night(tmp_path):
    """--overwrite with fewer frames left the old night's science-002 and -003 behind."""
    out, ref = tmp_path / "n", tmp_path / "ref"
    assert main(["night", str(out), *NIGHT_64, "--n-science", "3", "--seed", "1"]) == 0
    assert main(["night", str(out), *NIGHT_64, "--n-science", "1", "--seed", "2",
                 "--overwrite"]) == 0
    assert main(["night", str(ref), *NIGHT_64, "--n-science", "1", "--seed", "2"]) == 0
    assert all_files(out) == all_files(ref)
    assert {fits.getheader(p)["NIGHTSD"] for p in out.rglob("*.fits")} == {"2"}


def test_another_nights_frames_are_named_and_kept_without_overwrite(tmp_path, capsys):
    out = tmp_path / "n"
    assert main(["night", str(out), *NIGHT_64, "--n-science", "3", "--seed", "1"]) == 0
    before = snapshot(out)
    capsys.readouterr()
    assert main(["night", str(out), *NIGHT_64, "--n-science", "1", "--seed", "2"]) == 2
    line = error_line(capsys.readouterr().err)
    assert "another night's frames (science-002.fits, science-003.fits)" in line
    assert "--overwrite" in line and str(out) in line
    assert snapshot(out) == before


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]], ids=["plain", "overwrite"])
def test_foreign_fits_file_in_the_folder_is_refused(tmp_path, capsys, overwrite):
    out = tmp_path / "n"
    out.mkdir()
    fits.PrimaryHDU(np.zeros((4, 4), np.float32)).writeto(out / "m51-reduced.fits")
    assert main(["night", str(out), *NIGHT_64, *overwrite]) == 2
    line = error_line(capsys.readouterr().err)
    assert "not a ccdsim night's (m51-reduced.fits)" in line and str(out) in line
    assert all_files(out) == ["m51-reduced.fits"]


# 4. Header text a FITS header cannot hold ---------------------------------------------------

@pytest.mark.parametrize("option,value", [("--object", "M51 \u00e9"), ("--filter", "H\u03b1")])
def test_non_ascii_header_text_refused_before_the_first_file(tmp_path, option, value):
    """It crashed after six files with a traceback."""
    res = ccdsim("night", tmp_path / "n", *NIGHT_64, option, value)
    assert res.returncode == 2
    assert error_line(res.stderr).startswith(f"ccdsim: error: {option} must be printable ASCII")
    assert list(tmp_path.iterdir()) == []


def test_non_ascii_header_text_from_a_config_file(tmp_path, capsys):
    config = tmp_path / "night.toml"
    config.write_text('object = "M51 \u00e9"\n', encoding="utf-8")
    assert main(["night", str(tmp_path / "n"), *NIGHT_64, "--config", str(config)]) == 2
    line = error_line(capsys.readouterr().err)
    assert f"config file {config}: object must be printable ASCII" in line
    assert all_files(tmp_path) == ["night.toml"]


# 5. Configuration files that are not one ----------------------------------------------------

CONFIGS = {
    "latin-1": (b'object = "caf\xe9"\n', "is not UTF-8 text"),
    # what Windows PowerShell 5 writes with `>` or Out-File: UTF-16 LE, BOM, CRLF
    "utf-16": (b"\xff\xfe" + "gain = 2.0\r\nsky = 30\r\n".encode("utf-16-le"), "UTF-16"),
    "600 nested arrays": (b"gain = " + b"[" * 600 + b"]" * 600 + b"\n", "nests"),
    "600 nested inline tables": (b"gain = " + b"{a = " * 600 + b"1" + b"}" * 600 + b"\n",
                                 "nests"),
    "600 nested tables": (("[" + ".".join(["image"] * 600) + "]\ngain = 1\n").encode(),
                          "nests"),
    "6 MB value": (b'gain = "' + b"x" * 6_000_000 + b'"\n', "larger than 1 MiB"),
    "900 kB value": (b'gain = "' + b"x" * 900_000 + b'"\n', "gain must be"),
    "900 kB key": (b"x" * 900_000 + b" = 1\n", "unknown key"),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_bad_config_file_is_one_short_line(tmp_path, capsys, name):
    text, says = CONFIGS[name]
    config = tmp_path / "c.toml"
    config.write_bytes(text)
    assert main(["image", str(tmp_path / "a.fits"), "--shape", "16", "16",
                 "--config", str(config)]) == 2
    line = error_line(capsys.readouterr().err)
    assert says in line and str(config) in line
    assert len(line) < 300  # never the whole value, key or file
    assert all_files(tmp_path) == ["c.toml"]


@pytest.mark.parametrize("command", [[], ["night"], ["batch", "--n", "2"]])
def test_config_show_checks_values_as_a_run_does(tmp_path, capsys, command):
    """``gain = nan`` was shown with status 0; the run then refused it."""
    config = tmp_path / "c.toml"
    config.write_text("gain = nan\n")
    assert main(["config", "show", *command, "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = error_line(captured.err)
    assert f"config file {config}: gain" in line and "nan" in line


# 7. Two runs into one folder ----------------------------------------------------------------

def test_two_identical_batches_at_once_one_is_refused(tmp_path, capsys):
    """They deleted each other's temporaries (1 run in 3) and the victim blamed the input.

    Two runs started together overlap (one must be refused), unless the machine
    is so loaded that one finished before the other began: then the second found
    every frame made. Up to 6 tries, until 3 overlapped.
    """
    from ccdsim.run.batch import verify_frame
    from ccdsim.cli import COMMANDS, build_parser

    overlapped = 0
    for attempt in range(6):
        out = tmp_path / f"b{attempt}"
        argv = ["batch", str(out), "--n", "6", "--shape", "256", "256", "--seed", "4",
                "--quiet"]
        procs = [subprocess.Popen([*CCDSIM, *argv], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=180) for p in procs]
        results = sorted((p.returncode, o, e) for p, (o, e) in zip(procs, outputs))
        codes = [code for code, _, _ in results]
        if codes == [0, 0]:  # one after the other: the second made nothing
            assert ["0 frames made, 6 already complete" in o for _, o, _ in results].count(
                True) == 1, results
        else:
            assert codes == [0, 2], results
            overlapped += 1
            line = error_line(results[1][2])
            assert f"OUTDIR {out} is being written by another ccdsim run" in line
        # Afterwards the same command finds every frame complete.
        capsys.readouterr()
        assert main(argv) == 0
        assert "0 frames made, 6 already complete" in capsys.readouterr().out
        plan = COMMANDS["batch"].check(build_parser().parse_args(argv))
        assert all(verify_frame(out / plan.filename(i), plan, i) for i in range(6))
        assert temporaries(out) == []
        if overlapped == 3:
            break
    assert overlapped >= 2


# 8. Resume and frames cut where an extension begins -----------------------------------------

@pytest.mark.parametrize("extension", ["TRUTH", "DQ"])
def test_resume_remakes_a_frame_cut_where_an_extension_begins(tmp_path, capsys, extension):
    """A file cut exactly at an HDU boundary is valid FITS, one HDU short: it was kept."""
    from ccdsim.run.batch import verify_frame
    from ccdsim.cli import COMMANDS, build_parser

    out = tmp_path / "b"
    argv = ["batch", str(out), "--n", "3", "--shape", "64", "64", "--seed", "2",
            "--stars", "5", "--quiet"]
    assert main(argv) == 0
    victim = out / "frame_0001.fits"
    original = victim.read_bytes()
    with fits.open(victim) as hdul:
        cut = hdul.fileinfo(hdul.index_of(extension))["hdrLoc"]
    with open(victim, "r+b") as f:
        f.truncate(cut)
    plan = COMMANDS["batch"].check(build_parser().parse_args(argv))
    assert not verify_frame(victim, plan, 1)
    assert verify_frame(out / "frame_0000.fits", plan, 0)
    capsys.readouterr()
    assert main(argv) == 0
    assert "1 frames made, 2 already complete" in capsys.readouterr().out
    assert verify_frame(victim, plan, 1)
    with fits.open(victim) as remade:
        assert_same_hdus(fits.HDUList.fromstring(original), remade)


# 9. Outputs the machine refuses -------------------------------------------------------------

@pytest.fixture
def unwritable(tmp_path, make_unwritable):
    """A folder no file can be created in: a read-only file system (root), else mode 555."""
    folder = tmp_path / "locked"
    folder.mkdir()
    return make_unwritable(folder)


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """A folder on a 2 MB file system: a tmpfs (root), else one that reports 2 MiB free."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = mount_tmpfs(folder, "size=2m")
    if not mounted:
        usage = shutil.disk_usage

        def two_mib_free(path):
            u = usage(path)
            inside = os.path.abspath(path).startswith(str(folder))
            return u._replace(free=2 << 20) if inside else u

        monkeypatch.setattr(shutil, "disk_usage", two_mib_free)
    try:
        yield folder, mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


def _refused(capsys, code, folder):
    assert code == 2
    line = error_line(capsys.readouterr().err)
    assert str(folder) in line and ".part" not in line
    return line


def test_image_into_an_unwritable_folder_refused_before_the_frame_is_made(unwritable, capsys):
    """Writability was found out after the frame (here ~2.5 s of work), as exit 1."""
    for chunks in ([], ["--chunks", "512"]):
        # The same refusal for a small frame first: modules imported, nothing left to time
        # but the work done before refusing.
        main(["image", str(unwritable / "small.fits"), "--shape", "64", "64", *chunks])
        capsys.readouterr()
        t0 = time.monotonic()
        code = main(["image", str(unwritable / "big.fits"), "--shape", "6000", "6000",
                     *chunks])
        elapsed = time.monotonic() - t0
        line = _refused(capsys, code, unwritable)
        assert "cannot be written" in line
        assert elapsed < 1.0, elapsed  # nothing was made
    assert os.listdir(unwritable) == []


@pytest.mark.parametrize("command", [["night", *NIGHT_64], ["batch", "--n", "2", "--shape",
                                                               "64", "64"]],
                         ids=["night", "batch"])
@pytest.mark.parametrize("inside", [True, False], ids=["new folder in it", "the folder"])
def test_night_and_batch_into_an_unwritable_folder(unwritable, capsys, command, inside):
    out = unwritable / "out" if inside else unwritable
    line = _refused(capsys, main([command[0], str(out), *command[1:]]), unwritable)
    assert "cannot be written" in line
    assert os.listdir(unwritable) == []


def test_unwritable_folder_is_exit_2_in_a_fresh_interpreter(unwritable):
    """A read-only file system exited 1 where permission denied exited 2."""
    res = ccdsim("image", unwritable / "a.fits", "--shape", 64, 64)
    assert res.returncode == 2
    assert str(unwritable) in error_line(res.stderr)


NEEDS = re.compile(r"needs about \d+ MiB on disk, only \d+ MiB free in ")


@pytest.mark.parametrize("command", [
    ["night", "--shape", "256", "256"],  # 20 frames: about 9 MiB
    ["batch", "--n", "10", "--shape", "256", "256"],
    ["image", "--shape", "1024", "1024"],
    ["image", "--shape", "1024", "1024", "--chunks", "256"],
], ids=["night", "batch", "image", "image --chunks"])
def test_too_little_disk_refused_up_front(small_disk, capsys, command):
    """Night and batch found a full disk frames later, and said it in three sentences."""
    folder, _ = small_disk
    out = folder / ("out.fits" if command[0] == "image" else "out")
    line = _refused(capsys, main([command[0], str(out), *command[1:]]), folder)
    assert NEEDS.search(line), line
    assert all_files(folder) == [] and os.listdir(folder) == []


def _fail_fits_writes_with(monkeypatch, make_error):
    """Every FITS write fails after a few bytes, as on a full disk."""
    def writeto(self, name, *args, **kwargs):
        with open(name, "wb") as f:
            f.write(b"SIMPLE  =                    T")
        raise make_error(name)

    def stream_write(self, data):
        raise make_error(None)

    monkeypatch.setattr(fits.HDUList, "writeto", writeto)
    monkeypatch.setattr(fits.StreamingHDU, "write", stream_write)


def _astropy_disk_full(name):
    # What astropy raises on a full disk: its own OSError, without errno, around numpy's.
    try:
        raise OSError("1048576 requested and 1045696 written")
    except OSError:
        try:
            raise OSError("Not enough space on disk: requested 2097152, available 0. "
                          "1048576 requested and 1045696 written")
        except OSError as exc:
            return exc


ERRORS = {
    "ENOSPC": lambda name: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name),
    "astropy's": _astropy_disk_full,
    "numpy's short write": lambda name: OSError("262144 requested and 259264 written"),
}


@pytest.mark.parametrize("chunks", [[], ["--chunks", "128"]], ids=["whole", "streamed"])
@pytest.mark.parametrize("error", list(ERRORS))
def test_disk_full_while_writing_is_one_line(tmp_path, capsys, monkeypatch, error, chunks):
    """It was three astropy sentences, or the temporary's name, and exit 1."""
    _fail_fits_writes_with(monkeypatch, ERRORS[error])
    out = tmp_path / "a.fits"
    code = main(["image", str(out), "--shape", "256", "256", *chunks])
    assert code == 2
    assert error_line(capsys.readouterr().err) == f"ccdsim: error: cannot write {out}: " \
                                                  f"the disk is full"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("chunks", [[], ["--chunks", "128"]], ids=["whole", "streamed"])
def test_disk_filling_up_while_writing_is_one_line(small_disk, capsys, monkeypatch, chunks):
    """The real thing: a file system that fills up mid-write (once past the up-front check)."""
    import ccdsim.cli.image
    folder, mounted = small_disk
    # The up-front check as the command calls it, turned off.
    monkeypatch.setattr(ccdsim.cli.image, "check_free_space", lambda *args, **kwargs: None)
    if not mounted:
        _fail_fits_writes_with(monkeypatch, ERRORS["astropy's"])
    out = folder / "a.fits"
    code = main(["image", str(out), "--shape", "1024", "1024", *chunks])
    assert code == 2
    assert error_line(capsys.readouterr().err) == f"ccdsim: error: cannot write {out}: " \
                                                  f"the disk is full"
    assert os.listdir(folder) == []


def test_check_free_space(tmp_path, monkeypatch):
    from ccdsim.io.files import OutputError, check_free_space

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=50 << 20))
    check_free_space(str(tmp_path), 40 << 20)
    check_free_space(str(tmp_path / "not" / "yet"), 40 << 20)  # the folder that exists
    with pytest.raises(OutputError, match=rf"^the night needs about 49 MiB on disk, only 50 "
                                          rf"MiB free in {re.escape(str(tmp_path))}$"):
        check_free_space(str(tmp_path / "new"), 49 << 20, "the night")  # 5% to spare


# 11. Edge values ----------------------------------------------------------------------------

def test_start_too_close_to_the_year_10000(tmp_path, capsys):
    """It was an OverflowError traceback."""
    assert main(["night", str(tmp_path / "n"), *NIGHT_64, "--start", "9999-12-31T23:59:59",
                 "--exposure", "1e6"]) == 2
    assert error_line(capsys.readouterr().err).startswith("ccdsim: error: --start ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["night"], ["batch", "--n", "1"], ["image"]])
def test_empty_output_name_is_refused(tmp_path, capsys, monkeypatch, command):
    """``ccdsim night "$OUT"`` with OUT unset wrote the night into the current folder."""
    monkeypatch.chdir(tmp_path)
    assert main([command[0], "", *command[1:], "--shape", "64", "64"]) == 2
    assert "got an empty one" in error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["image"], ["night"], ["batch", "--n", "1"]])
def test_one_pixel_sensor_names_the_option(tmp_path, capsys, command):
    """It named bad_columns, an option nobody typed (and batch made its folder first)."""
    out = tmp_path / ("a.fits" if command[0] == "image" else "out")
    assert main([command[0], str(out), *command[1:], "--shape", "1", "1"]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith("ccdsim: error: --shape 1x1 ") and "bad_columns" not in line
    assert list(tmp_path.iterdir()) == []


def test_no_progress_bars_in_logs(tmp_path):
    """stderr not a terminal (a log, a pipe): no progress bar, so nothing on stderr."""
    res = ccdsim("batch", tmp_path / "b", "--n", 3, "--shape", 64, 64)
    assert res.returncode == 0 and res.stderr == ""


# 12. Stress: runs killed at random moments end as an uninterrupted run -----------------------

VOLATILE = {"DATE", "CHECKSUM", "DATASUM"}


def assert_same_hdus(a, b):
    assert [h.name for h in a] == [h.name for h in b]
    for x, y in zip(a, b):
        assert ([(c.keyword, c.value) for c in x.header.cards if c.keyword not in VOLATILE]
                == [(c.keyword, c.value) for c in y.header.cards if c.keyword not in VOLATILE])
        if x.data is None:
            assert y.data is None
        elif isinstance(x, fits.BinTableHDU):
            assert x.columns.names == y.columns.names
            for name in x.columns.names:
                np.testing.assert_array_equal(x.data[name], y.data[name])
        else:
            np.testing.assert_array_equal(x.data, y.data)


def assert_same_output(ref, out):
    assert all_files(out) == all_files(ref)
    for name in all_files(ref):
        if name.endswith(".fits"):
            with fits.open(ref / name) as a, fits.open(out / name) as b:
                assert_same_hdus(a, b)
        else:
            assert (ref / name).read_bytes() == (out / name).read_bytes(), name


def _killed_run(argv, sig, after):
    proc = subprocess.Popen([*CCDSIM, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        proc.wait(timeout=after)
    except subprocess.TimeoutExpired:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


STRESS = {
    # a night: --overwrite on every run, the way to redo a night that was cut short
    "night": ["--shape", "256", "256", "--n-bias", "2", "--n-dark", "2", "--n-flat", "2",
              "--n-science", "2", "--seed", "11", "--overwrite", "--quiet"],
    # a batch: the same command again resumes
    "batch": ["--n", "8", "--shape", "256", "256", "--seed", "11", "--gain", "0.8:2.5",
              "--stars", "0:20", "--quiet"],
}


@pytest.mark.parametrize("command", list(STRESS))
def test_runs_killed_at_random_moments_end_as_an_uninterrupted_run(tmp_path, capsys, command):
    rng = random.Random(f"hardening II {command}")  # the same moments every time
    ref = tmp_path / "ref"
    t0 = time.monotonic()
    res = ccdsim(command, ref, *STRESS[command])
    duration = time.monotonic() - t0
    assert res.returncode == 0, res.stderr
    stopped_while_running = 0
    for sig in (signal.SIGTERM, signal.SIGKILL):
        out = tmp_path / sig.name
        latest = 0.9 * duration
        for _ in range(3):
            code, err = _killed_run([command, str(out), *STRESS[command]], sig,
                                    rng.uniform(0.2, max(latest, 0.3)))
            if code == 0:  # finished first (the machine got faster than the reference run)
                latest /= 2
            if sig == signal.SIGTERM:
                # -15: stopped while Python was still starting, before any file.
                assert code in (0, 128 + sig, -sig), err
                if code == 128 + sig:
                    stopped_while_running += 1
                    assert err.strip().splitlines() == [
                        "ccdsim: stopped by SIGTERM; no partial files left"]
                assert temporaries(tmp_path) == []
                if out.exists():  # what it left is whole
                    assert all(whole(p) for p in out.rglob("*.fits"))
            else:
                assert code in (0, -sig), err
        assert main([command, str(out), *STRESS[command]]) == 0, capsys.readouterr().err
        assert temporaries(tmp_path) == []
        assert_same_output(ref, out)
    assert stopped_while_running >= 1  # the moments were not all before the run began


def test_probe_of_a_killed_run_is_removed(tmp_path):
    """A run killed between creating and removing its write probe leaves it; the next removes it."""
    import socket
    import subprocess

    from ccdsim.io.files import check_output_folder

    dead = subprocess.Popen(["true"])
    dead.wait()
    host = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40] or "host"
    stale = tmp_path / f".ccdsim-probe.{host}-{dead.pid}-abcd1234"
    live = tmp_path / f".ccdsim-probe.{host}-{os.getpid()}-abcd1234"
    stale.touch()
    live.touch()
    check_output_folder(str(tmp_path))
    assert not stale.exists() and live.exists()


def test_library_expose_checks_memory_before_allocating():
    """Camera.expose refuses a frame larger than memory itself, not only the command line."""
    import time

    from ccdsim import Camera, ParameterError

    cam = Camera(shape=(1 << 20, 1 << 20), bad_columns=0, hot_pixel_fraction=0.0)
    t = time.perf_counter()
    with pytest.raises(ParameterError, match="GiB of memory"):
        cam.expose(1.0, rng=1)
    assert time.perf_counter() - t < 5

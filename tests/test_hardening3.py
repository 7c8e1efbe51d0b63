"""Hardening III: what a user hands over (plans, catalogues, configs) is untrusted.

Each test reproduces a defect of the issue and fails on the code before its
fix. The rule: a plan, catalogue or configuration a user hands over gives
one line (``ccdsim: error: ...``) and exit status 2 before anything is
written, or a correct result; never a traceback, a write outside OUTDIR or
unbounded memory. Memory is tested under a 2 GB address-space limit
(``ulimit -v``), which turns an unbounded read or allocation into a
MemoryError traceback instead of a kernel kill.
"""

import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

CCDSIM = [sys.executable, "-m", "ccdsim"]
#: The address space the bounded runs get: a plan or catalogue may never need more.
LIMIT_BYTES = 2 * 10**9


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def ccdsim(*args, cwd=None, timeout=120, bounded=True):
    """The command line in a fresh interpreter, under the 2 GB limit unless told otherwise."""
    return subprocess.run([*CCDSIM, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, preexec_fn=_limit if bounded else None)


def refused(run, *words):
    """Exit 2 and one line naming ``words``, no traceback."""
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1, run.stderr[-3000:]
    assert lines[0].startswith("ccdsim: error: "), lines
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def tree(folder):
    """Every file and folder under ``folder``, relative, sorted."""
    folder = Path(folder)
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


START = 'start = "2026-01-01T20:00:00"\nscale = 16\n'


def plan(tmp_path, body, name="plan.toml"):
    path = tmp_path / name
    path.write_text(f"seed = 3\n{START}{body}")
    return path


# H1: names in a plan are labels, never paths.

def _escaping_plan(tmp_path, absolute):
    return plan(tmp_path, f"""
[cameras."../../../victim"]
camera = "guide"
[cameras."{absolute}"]
camera = "guide"
[[groups]]
camera = "../../../victim"
kind = "bias"
count = 1
[[groups]]
camera = "{absolute}"
kind = "bias"
count = 1
name = "other-{{number:03d}}.fits"
""")


def test_camera_names_never_leave_outdir(tmp_path):
    work = tmp_path / "work"
    victim = work / "victim"  # where truth/../../../victim led from work/deeper/out
    victim.mkdir(parents=True)
    (work / "deeper").mkdir()
    absolute = f"/ccdsim-victim-{os.getpid()}"  # an absolute name went there as it was
    # A ccdsim file in the victim folder, which --overwrite removed before the fix.
    first = ccdsim("dataset", "night", "seeded", "--scale", "16", "--seed", "1", "--quiet",
                   cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    kept = victim / "bias.fits"
    kept.write_bytes((tmp_path / "seeded" / "truth" / "bias.fits").read_bytes())
    path = _escaping_plan(work / "deeper", absolute)
    before = tree(tmp_path)
    run = ccdsim("dataset", path, "out", "--overwrite", "--quiet", cwd=work / "deeper")
    assert run.returncode == 0, run.stderr
    after = tree(tmp_path)
    # Everything new is inside OUTDIR; nothing outside changed or vanished.
    assert [p for p in after if p not in before] == [
        p for p in after if p.startswith("work/deeper/out")]
    assert set(before) <= set(after) and kept.exists() and not os.path.exists(absolute)
    truth = tree(work / "deeper" / "out" / "truth")
    folders = {"_________victim", absolute.replace("/", "_")}
    assert {p.split("/")[0] for p in truth} == folders | {"manifest.json"}, truth
    # The manifest still names the cameras as the plan does.
    import json

    manifest = json.loads((work / "deeper" / "out" / "truth" / "manifest.json").read_text())
    assert set(manifest["cameras"]) == {"../../../victim", absolute}


@pytest.mark.parametrize("body, words", [
    ('[cameras."a b"]\n[cameras.A_b]\n[[groups]]\ncamera = "a b"\nkind = "bias"\ncount = 1\n'
     '[[groups]]\ncamera = "A_b"\nkind = "bias"\ncount = 1\nname = "b-{number}.fits"\n',
     ("cameras", "'a b'", "'A_b'")),
    ('[[groups]]\nkind = "flat"\nfilter = "g\'"\nexposure = 1\ncount = 1\n'
     '[[groups]]\nkind = "flat"\nfilter = "gprime"\nexposure = 1\ncount = 1\n'
     'name = "f-{number}.fits"\n', ("filters", "gprime")),
    ('[targets."m 67"]\nra = 132.8\ndec = 11.8\n[targets.m_67]\nra = 132.8\ndec = 11.8\n'
     '[[groups]]\nkind = "bias"\ncount = 1\n', ("targets", "'m 67'", "'m_67'")),
    (f'[cameras."{"x" * 70}"]\n[cameras.b]\n[[groups]]\nkind = "bias"\ncount = 1\n',
     ("camera name", "1 to 64 characters")),
])
def test_labels_that_share_a_file_are_refused(tmp_path, body, words):
    run = ccdsim("dataset", plan(tmp_path, body), tmp_path / "out", bounded=False)
    refused(run, *words)
    assert not (tmp_path / "out").exists()


def test_cameras_a_and_a_dot_are_two_cameras(tmp_path):
    """``a`` and ``a/.`` shared one truth folder (one camera's maps were lost): now apart."""
    body = ('[cameras.a]\n[cameras."a/."]\nbias_level = 900\n[[groups]]\ncamera = "a"\n'
            'kind = "bias"\ncount = 1\n[[groups]]\ncamera = "a/."\nkind = "bias"\ncount = 1\n'
            'name = "b-{number}.fits"\n')
    run = ccdsim("dataset", plan(tmp_path, body), tmp_path / "out", bounded=False)
    assert run.returncode == 0, run.stderr
    a = fits.getdata(tmp_path / "out" / "truth" / "a" / "bias.fits")
    b = fits.getdata(tmp_path / "out" / "truth" / "a__" / "bias.fits")
    assert abs(float(b.mean()) - float(a.mean()) - (900 - 1100)) < 5


def test_a_linked_sub_folder_is_refused(tmp_path):
    """A group's folder that is a link to elsewhere: refused, the other side untouched."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "bias").symlink_to(outside)
    path = plan(tmp_path, '[[groups]]\nkind = "bias"\ncount = 1\nfolder = "bias"\n')
    refused(ccdsim("dataset", path, tmp_path / "out", "--overwrite"), "is a link")
    assert tree(outside) == []


# H2: reads are capped, whatever a file's size says.

@pytest.mark.parametrize("argv", [
    ("dataset", "/dev/zero", "out"),
    ("image", "x.fits", "--config", "/dev/zero"),
    ("image", "x.fits", "--ra", "10", "--dec", "10", "--catalog", "/dev/zero"),
])
def test_devices_are_not_read(tmp_path, argv):
    refused(ccdsim(*argv, cwd=tmp_path, timeout=60), "/dev/zero", "not a regular file")
    assert tree(tmp_path) == []


def test_a_fifo_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "plan.toml")
    refused(ccdsim("dataset", "plan.toml", "out", cwd=tmp_path, timeout=60),
            "not a regular file")


def test_files_longer_than_the_cap_are_refused_unread(tmp_path):
    from ccdsim.io.toml import MAX_CONFIG_BYTES
    from ccdsim.core.reading import MAX_CATALOG_BYTES

    big = tmp_path / "big.toml"
    with open(big, "wb") as f:  # sparse: the size is what counts
        f.truncate(MAX_CONFIG_BYTES + 1)
    refused(ccdsim("dataset", big, "out", cwd=tmp_path), "larger than 1 MiB")
    cat = tmp_path / "big.ecsv"
    with open(cat, "wb") as f:
        f.truncate(MAX_CATALOG_BYTES + 1)
    refused(ccdsim("image", "x.fits", "--ra", "10", "--dec", "10", "--catalog", cat,
                   cwd=tmp_path), "larger than 64 MiB", "--catalog")
    assert sorted(os.listdir(tmp_path)) == ["big.ecsv", "big.toml"]


def test_catalogues_still_read(tmp_path):
    """The capped reader reads what users hand over: ECSV and FITS tables."""
    from astropy.table import Table

    t = Table({"ra": [10.0, 10.001], "dec": [10.0, 10.001], "mag_V": [14.0, 15.0]})
    for name in ("c.ecsv", "c.fits"):
        t.write(tmp_path / name)
        run = ccdsim("image", f"{name}.out.fits", "--shape", "64", "64", "--ra", "10",
                     "--dec", "10", "--catalog", name, "--filter", "V", "--seed", "1",
                     cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert len(Table.read(tmp_path / f"{name}.out.fits", hdu="TRUTH")) == 2


# H3: a star field is counted, bounded and fitted into memory before it is drawn.

@pytest.mark.parametrize("argv, words", [
    (("--shape", "128", "128", "--ra", "10", "--dec", "10", "--pixel-scale", "3600"),
     ("--star-density", "at most 1e+07")),
    (("--pixel-scale", "60", "--ra", "10", "--dec", "10", "--star-density", "1e8"),
     ("--star-density", "at most 1e+07")),
    # Under the bound, but not in 2 GB: 8e6 stars at 256 bytes each.
    (("--pixel-scale", "10", "--ra", "10", "--dec", "10", "--star-density", "1.5e5"),
     ("--star-density", "GiB of memory")),
])
def test_star_fields_are_bounded_before_work(tmp_path, argv, words):
    refused(ccdsim("image", "x.fits", *argv, cwd=tmp_path, timeout=60), *words)
    assert tree(tmp_path) == []


def test_a_plan_target_density_is_bounded(tmp_path):
    body = ('[targets.f]\nra = 10\ndec = 10\ndensity = 1e8\n[[groups]]\nkind = "science"\n'
            'target = "f"\nfilter = "V"\nexposure = 1\ncount = 1\n')
    path = plan(tmp_path, body.replace("", ""))
    path.write_text(path.read_text().replace("scale = 16\n", ""))
    refused(ccdsim("dataset", path, tmp_path / "out", timeout=60), "target f: density",
            "at most 1e+07")
    assert not (tmp_path / "out").exists()


def test_the_memory_check_sees_the_address_space_limit():
    from ccdsim.core.resources import available_memory

    code = "from ccdsim.core.resources import available_memory; print(available_memory())"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         preexec_fn=_limit, timeout=60)
    assert 0 < int(run.stdout) < LIMIT_BYTES < available_memory() or \
        available_memory() < LIMIT_BYTES, run.stderr


# H4: --overwrite leaves exactly the new data set.

def test_overwrite_leaves_exactly_the_new_data_set(tmp_path):
    other = plan(tmp_path, '[[groups]]\nkind = "dark"\nexposure = 1\ncount = 2\n',
                 name="other.toml")
    assert ccdsim("dataset", "guide", "mix", "--scale", "16", "--seed", "1", "--quiet",
                  cwd=tmp_path, bounded=False).returncode == 0
    assert len(tree(tmp_path / "mix")) > 50
    run = ccdsim("dataset", other, "mix", "--overwrite", "--quiet", cwd=tmp_path,
                 bounded=False)
    assert run.returncode == 0, run.stderr
    assert ccdsim("dataset", other, "fresh", "--quiet", cwd=tmp_path,
                  bounded=False).returncode == 0
    assert tree(tmp_path / "mix") == tree(tmp_path / "fresh")
    for name in ("dark-001.fits", "truth/dark.fits"):
        a, b = fits.getdata(tmp_path / "mix" / name), fits.getdata(tmp_path / "fresh" / name)
        assert (a == b).all()


def test_overwrite_keeps_what_is_not_a_data_sets(tmp_path):
    """Notes a user left stay, and a folder holding them stays with them."""
    other = plan(tmp_path, '[[groups]]\nkind = "bias"\ncount = 1\n', name="other.toml")
    assert ccdsim("dataset", "guide", "mix", "--scale", "16", "--seed", "1", "--quiet",
                  cwd=tmp_path, bounded=False).returncode == 0
    sub = sorted(p for p in (tmp_path / "mix").iterdir() if p.is_dir() and p.name != "truth")
    (sub[0] / "notes.txt").write_text("mine")
    assert ccdsim("dataset", other, "mix", "--overwrite", "--quiet", cwd=tmp_path,
                  bounded=False).returncode == 0
    assert (sub[0] / "notes.txt").read_text() == "mine"
    assert not list(sub[0].glob("*.fits"))
    assert all(not p.exists() for p in sub[1:] if not list(p.rglob("notes.txt")))


def test_another_data_set_in_sub_folders_needs_overwrite(tmp_path):
    """Without --overwrite, another data set anywhere in OUTDIR stops the run."""
    other = plan(tmp_path, '[[groups]]\nkind = "bias"\ncount = 1\n', name="other.toml")
    assert ccdsim("dataset", "guide", "mix", "--scale", "16", "--seed", "1", "--quiet",
                  cwd=tmp_path, bounded=False).returncode == 0
    before = tree(tmp_path / "mix")
    refused(ccdsim("dataset", other, "mix", cwd=tmp_path, bounded=False), "--overwrite")
    assert tree(tmp_path / "mix") == before


# M1: file-name patterns are read, never formatted with str.format.

@pytest.mark.parametrize("pattern, words", [
    ("b-{number.foo}.fits", "may hold only {number}"),
    ("b-{number[0]}.fits", "may hold only {number}"),
    ("b-{number:>400000000}.fits", "may hold only {number}"),
    ("b-{number:c}.fits", "may hold only {number}"),
    ("b-{number:099d}.fits", "at most 12 digits"),
    ("b-{other}.fits", "may hold only {number}"),
    ("b-{number}-\u00e9.fits", "printable ASCII"),
    ("b-{number}\\t.fits", "printable ASCII"),
    ("x" * 70 + "{number}.fits", "at most 68 characters"),
])
def test_file_name_patterns_are_bounded(tmp_path, pattern, words):
    body = f'[[groups]]\nkind = "bias"\ncount = 1\nname = "{pattern}"\n'
    line = refused(ccdsim("dataset", plan(tmp_path, body), tmp_path / "out"), "group 1",
                   "name", words)
    assert len(line) < 300  # the pattern is cut, never echoed whole
    assert not (tmp_path / "out").exists()


def test_file_name_patterns_still_number_frames(tmp_path):
    body = ('[[groups]]\nkind = "bias"\ncount = 2\nname = "ccd.{number:03d}.0.fits"\n'
            '[[groups]]\nkind = "bias"\ncount = 1\nname = "b{{x}}-{number}.fits"\n')
    run = ccdsim("dataset", plan(tmp_path, body), tmp_path / "out", "--quiet")
    assert run.returncode == 0, run.stderr
    assert {"ccd.001.0.fits", "ccd.002.0.fits", "b{x}-1.fits"} <= set(os.listdir(tmp_path / "out"))


# M2: a plan's header cards are checked whole before any work.

@pytest.mark.parametrize("card, words", [
    ('NOTE = ["ok", "caf\u00e9"]', "comment of printable ASCII"),
    ("NOTE = nan", "finite"),
    ("NOTE = inf", "finite"),
    ("NOTE = 1e400", "finite"),
    ('END = "x"', "structure"),
    ("NAXIS1 = 5", "structure"),
    ('CONTINUE = "x"', "structure"),
    ('EXTNAME = "DQ"', "structure"),
    ("GAIN = 2.0", "written by ccdsim"),
    ("EXPTIME = 5.0", "written by ccdsim"),
    ('DATE-OBS = "2020-01-01"', "written by ccdsim"),
    ('NIGHTSD = "1"', "written by ccdsim"),
    ('SIZE = "{nx+' + "9" * 5000 + '}"', "80-character card"),
    ("NOTE = [1, 2, 3]", "a string, a number"),
])
def test_header_cards_are_checked_before_work(tmp_path, card, words):
    body = f'[[groups]]\nkind = "bias"\ncount = 1\n[groups.header]\n{card}\n'
    refused(ccdsim("dataset", plan(tmp_path, body), tmp_path / "out"), "header", words)
    assert not (tmp_path / "out").exists()


def test_a_key_ccdsim_writes_is_set_on_purpose_only(tmp_path):
    body = ('[[groups]]\nkind = "bias"\ncount = 1\n[groups.header]\n'
            'GAIN = [2.5, "as the camera reports it", "override"]\nOBJECT = "M67"\n'
            'SIZE = ["{nx+1}", "columns + 1"]\n')
    run = ccdsim("dataset", plan(tmp_path, body), tmp_path / "out", "--quiet")
    assert run.returncode == 0, run.stderr
    h = fits.getheader(tmp_path / "out" / "bias-001.fits")
    assert h["GAIN"] == 2.5 and h["OBJECT"] == "M67" and h["SIZE"] == "126"


# M3: dithers across a pole.

@pytest.mark.parametrize("dec, dither", [("90", "1"), ("-89.99", "60")])
def test_a_night_dithered_across_a_pole(tmp_path, dec, dither):
    """Each frame's pointing is its dither from the target on the sky: the separation and
    the position angle of the header's dither, to 0.2 mas, at the pole too."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    run = ccdsim("night", tmp_path / "n", "--ra", "0", "--dec", dec, "--dither", dither,
                 "--shape", "64", "64", "--n-bias", "1", "--n-dark", "1", "--n-flat", "1",
                 "--n-science", "4", "--seed", "2", "--quiet")
    assert run.returncode == 0, run.stderr
    target = SkyCoord(0 * u.deg, float(dec) * u.deg)
    for path in sorted((tmp_path / "n").glob("science*.fits")):
        h = fits.getheader(path)
        east, north = h["DITHERE"], h["DITHERN"]
        point = SkyCoord(h["CRVAL1"] * u.deg, h["CRVAL2"] * u.deg)
        assert -90 <= h["CRVAL2"] <= 90
        # On the tangent plane: separation atan(r), r the dither in radians.
        r = np.hypot(east, north) / 206264.806
        assert abs(target.separation(point).rad - np.arctan(r)) < 1e-9  # 0.2 mas
        if r > 0:
            pa = np.degrees(np.arctan2(east, north)) % 360
            assert abs((target.position_angle(point).deg - pa + 180) % 360 - 180) < 1e-4


def test_a_plan_pattern_across_the_pole(tmp_path):
    body = ('[targets.p]\nra = 10\ndec = 89.5\nstars = 3\n[[groups]]\nkind = "science"\n'
            'target = "p"\nfilter = "V"\nexposure = 1\ncount = 3\n'
            'dither_pattern = [[0, 0], [0, 3600], [3600, 0]]\n')
    run = ccdsim("dataset", plan(tmp_path, body), tmp_path / "out", "--quiet")
    assert run.returncode == 0, run.stderr
    decs = [fits.getheader(p)["CRVAL2"] for p in sorted((tmp_path / "out").glob("sci*.fits"))]
    assert decs[0] == 89.5 and all(-90 <= d <= 90 for d in decs) and decs[1] > 89.5


# M5: one time rule, UTC.

def test_times_with_z_or_an_offset_are_utc(tmp_path):
    run = ccdsim("night", tmp_path / "n", "--start", "2026-03-21T04:00:00Z", "--shape", "64",
                 "64", "--n-bias", "1", "--n-dark", "0", "--n-flat", "0", "--n-science", "0",
                 "--quiet")
    assert run.returncode == 0, run.stderr
    assert fits.getheader(next((tmp_path / "n").glob("bias*.fits")))["DATE-OBS"].startswith(
        "2026-03-21T04:00:00")
    run = ccdsim("image", tmp_path / "a.fits", "--shape", "64", "64", "--start",
                 "2026-03-21T09:30:00+05:30")
    assert run.returncode == 0, run.stderr
    assert fits.getheader(tmp_path / "a.fits")["DATE-OBS"] == "2026-03-21T04:00:00.000"
    for start in ('"2026-03-21T09:00:00+05:00"', "2026-03-21T04:00:00Z"):  # text, TOML date-time
        path = tmp_path / "p.toml"
        path.write_text(f'seed = 1\nstart = {start}\nscale = 16\n[[groups]]\nkind = "bias"\n'
                        f'count = 1\n')
        out = tmp_path / f"set{len(start)}"
        run = ccdsim("dataset", path, out, "--quiet")
        assert run.returncode == 0, run.stderr
        assert fits.getheader(out / "bias-001.fits")["DATE-OBS"].startswith("2026-03-21T04:00:00")


@pytest.mark.parametrize("start", ["2026-03-21T25:00:00", "9999-12-31T23:00:00-05:00", "noon"])
def test_bad_times_are_one_line(tmp_path, start):
    refused(ccdsim("image", tmp_path / "a.fits", "--shape", "64", "64", "--start", start),
            "--start")
    assert not (tmp_path / "a.fits").exists()


# M4 and M8: outputs that collide, plans too large, refused before anything is made.

@pytest.mark.parametrize("groups, words", [
    ('[[groups]]\nkind = "bias"\ncount = 1\nfolder = "truth"\n', "truth/ holds the truth"),
    ('[[groups]]\nkind = "bias"\ncount = 1\nfolder = "Truth/x"\n', "truth/ holds the truth"),
    ('[[groups]]\nkind = "bias"\ncount = 1\nfolder = "cal"\n'
     '[[groups]]\nkind = "bias"\ncount = 1\nfolder = "cal/."\n', "two frames"),
    ('[[groups]]\nkind = "bias"\ncount = 1\nname = "B-{number}.fits"\n'
     '[[groups]]\nkind = "bias"\ncount = 1\nname = "b-{number}.fits"\n', "as B-1.fits"),
    ('[[groups]]\nkind = "bias"\ncount = 10000000\n', "at most 100,000"),
    ('[[groups]]\nkind = "bias"\ncount = 60000\n[[groups]]\nkind = "dark"\nexposure = 1\n'
     'count = 60000\n', "at most 100,000"),
])
def test_colliding_or_huge_plans_are_refused(tmp_path, groups, words):
    refused(ccdsim("dataset", plan(tmp_path, groups), tmp_path / "out", timeout=60), words)
    assert not (tmp_path / "out").exists()


# M6 and M7: catalogues and magnitudes; refusals before files are written.

def _catalog(path, **columns):
    from astropy.table import Table

    Table(columns).write(path)
    return path


@pytest.mark.parametrize("columns, words", [
    (dict(ra=["a", "b"], dec=[1.0, 2.0], mag_V=[14.0, 15.0]), "one number per row"),
    (dict(ra=[[10.0, 1.0]], dec=[10.0], mag_V=[14.0]), "one number per row"),
    (dict(ra=[10.0, np.nan], dec=[10.0, 10.0], mag_V=[14.0, 15.0]), "1 rows"),
    (dict(ra=[10.0, 10.0], dec=[10.0, 95.0], mag_V=[14.0, 15.0]), "outside [-90, 90]"),
    (dict(ra=[10.0], dec=[10.0], mag_V=[-1000.0]), "magnitudes outside"),
])
def test_bad_catalogues_are_one_line(tmp_path, columns, words):
    cat = _catalog(tmp_path / "c.ecsv", **columns)
    refused(ccdsim("image", tmp_path / "a.fits", "--shape", "64", "64", "--ra", "10",
                   "--dec", "10", "--filter", "V", "--catalog", cat), "--catalog", words)
    assert not (tmp_path / "a.fits").exists()


def test_catalogue_units_and_masked_magnitudes(tmp_path):
    """ra and dec in radians land where degrees would; a masked magnitude is no star."""
    from astropy import units as u
    from astropy.table import Table

    t = Table({"ra": np.radians([10.0, 10.001, 10.002]) * u.rad,
               "dec": np.radians([10.0, 10.0, 10.0]) * u.rad,
               "mag_V": np.ma.masked_array([14.0, 15.0, 16.0], mask=[False, True, False])})
    t.write(tmp_path / "rad.ecsv")
    run = ccdsim("image", tmp_path / "a.fits", "--shape", "64", "64", "--ra", "10", "--dec",
                 "10", "--filter", "V", "--catalog", tmp_path / "rad.ecsv", "--seed", "1")
    assert run.returncode == 0, run.stderr
    truth = Table.read(tmp_path / "a.fits", hdu="TRUTH")
    np.testing.assert_allclose(truth["ra"], [10.0, 10.002], atol=1e-12)
    assert list(truth["mag"]) == [14.0, 16.0]


@pytest.mark.parametrize("argv, words", [
    (("--bright-mag", "-30", "--limiting-mag", "-29", "--star-density", "1e5"),
     "at most 1e+15 e- a star"),
    (("--bright-mag", "20", "--limiting-mag", "12"), "brighter (smaller)"),
])
def test_magnitudes_that_cannot_be_drawn_are_refused(tmp_path, argv, words):
    refused(ccdsim("image", tmp_path / "a.fits", "--shape", "64", "64", "--ra", "10", "--dec",
                   "10", *argv), words)


def test_plan_sky_frames_are_checked_before_any_file(tmp_path):
    cat = _catalog(tmp_path / "c.ecsv", ra=[10.0], dec=[10.0], mag_V=[14.0])
    body = (f'[targets.f]\nra = 10\ndec = 10\ncatalog = "{cat}"\n'
            '[[groups]]\nkind = "bias"\ncount = 3\n'
            '[[groups]]\nkind = "science"\ntarget = "f"\nfilter = "V"\nexposure = 1\n'
            'count = 2\n[[groups]]\nkind = "science"\ntarget = "f"\nfilter = "R"\n'
            'exposure = 1\ncount = 1\nname = "r-{number}.fits"\n')
    refused(ccdsim("dataset", plan(tmp_path, body), tmp_path / "out"), "r-1.fits",
            "filter R", "no magnitudes")
    assert not (tmp_path / "out").exists()
    body = (f'[targets.f]\nra = 10\ndec = 10\ncatalog = "{cat}"\n[[groups]]\n'
            'kind = "science"\ntarget = "f"\nfilter = "V"\nexposure = 1\ncount = 1\n'
            'seeing = 0.01\n')
    refused(ccdsim("dataset", plan(tmp_path, body, name="s.toml"), tmp_path / "out"),
            "seeing 0.01", "target f")
    assert not (tmp_path / "out").exists()


def test_a_read_only_sub_folder_is_refused_before_work(tmp_path, make_unwritable):
    body = '[[groups]]\nkind = "bias"\ncount = 2\nfolder = "cal"\n'
    out = tmp_path / "out"
    (out / "cal").mkdir(parents=True)
    make_unwritable(out / "cal")
    refused(ccdsim("dataset", plan(tmp_path, body), out), "cal", "cannot be written")
    assert tree(out) == ["cal"]


# What a pipeline author tripped on: help, lists, MJD-OBS, OBJECT.

def test_help_texts_read_as_sentences():
    night = ccdsim("night", "--help", bounded=False).stdout
    flat = " ".join(night.split())
    assert "(default: )" not in flat and "in s of each rate in s" not in flat
    assert "comma-separated dark exposure times in s (default: the science exposure)" in flat
    assert "comma-separated filters of the flats and science frames (default: --filter)" in flat
    explore = ccdsim("explore", "--help", bounded=False).stdout
    assert explore.count("options:") == 1


@pytest.mark.parametrize("option, values", [("--dark-exposures", ("10", "100")),
                                            ("--filters", ("V", "R"))])
def test_a_list_with_spaces_says_how_lists_are_written(tmp_path, option, values):
    refused(ccdsim("night", tmp_path / "n", option, *values, bounded=False), option,
            f"comma-separated list ({','.join(values)})")
    assert not (tmp_path / "n").exists()


def test_every_dated_frame_has_mjd_obs_and_science_frames_their_object(tmp_path):
    from astropy.time import Time

    body = ('[targets.m67]\nobject = "M67"\nstars = 3\n[[groups]]\nkind = "bias"\ncount = 1\n'
            '[[groups]]\nkind = "science"\ntarget = "m67"\nexposure = 1\ncount = 1\n')
    run = ccdsim("dataset", plan(tmp_path, body), tmp_path / "out", "--quiet", bounded=False)
    assert run.returncode == 0, run.stderr
    for name in ("bias-001.fits", "science-001.fits"):
        h = fits.getheader(tmp_path / "out" / name)
        assert h["MJD-OBS"] == pytest.approx(Time(h["DATE-OBS"], scale="utc").mjd, abs=1e-9)
    assert fits.getheader(tmp_path / "out" / "science-001.fits")["OBJECT"] == "M67"
    assert "OBJECT" not in fits.getheader(tmp_path / "out" / "bias-001.fits")


def test_night_scale_makes_a_small_night_that_looks_the_same(tmp_path):
    run = ccdsim("night", tmp_path / "n", "--camera", "thermoelectric", "--scale", "16",
                 "--n-bias", "1", "--n-dark", "1", "--n-flat", "1", "--n-science", "1",
                 "--seed", "1", "--quiet", bounded=False)
    assert run.returncode == 0, run.stderr
    h = fits.getheader(next((tmp_path / "n").glob("bias*.fits")))
    assert (h["NAXIS2"], h["NAXIS1"]) == (4096 // 16, 4096 // 16 + 13)
    assert h["GLOWLEN"] == 15.0 / 16
    assert fits.getdata(tmp_path / "n" / "truth" / "bias.fits").shape == (256, 256)
    refused(ccdsim("night", tmp_path / "m", "--scale", "1000", bounded=False), "--scale")


@pytest.mark.parametrize("name, words", [("small.txt", "must end in .fits"),
                                         ("small.fits.fz", "tile-compressed"),
                                         ("small", "must end in .fits")])
def test_fits_names_say_what_they_hold(tmp_path, name, words):
    refused(ccdsim("image", tmp_path / name, "--shape", "64", "64", bounded=False), "output",
            words)
    body = f'[[groups]]\nkind = "bias"\ncount = 1\nname = "{name}-{{number}}"\n'
    if name.endswith((".txt", ".fz")):
        body = f'[[groups]]\nkind = "bias"\ncount = 1\nname = "b-{{number}}-{name}"\n'
    refused(ccdsim("dataset", plan(tmp_path, body), tmp_path / "out", bounded=False), "name",
            words)
    assert sorted(os.listdir(tmp_path)) == ["plan.toml"]


def test_compressed_fits_names_are_written_compressed(tmp_path):
    import bz2
    import gzip

    for name, opener in (("a.fits.gz", gzip.open), ("a.fit.bz2", bz2.open)):
        run = ccdsim("image", tmp_path / name, "--shape", "64", "64", "--seed", "1",
                     bounded=False)
        assert run.returncode == 0, run.stderr
        with opener(tmp_path / name) as f:
            assert f.read(9) == b"SIMPLE  ="


# Low: options never silently ignored, values never echoed whole, names never shadowed.

@pytest.mark.parametrize("argv, words", [
    (("--seed", "9" * 5000), "--seed must be an integer"),
    (("--ra", "10", "--dec", "10", "--sky-brightness", "0", "--zero-point", "1e15",
      "--exposure", "1e6"), "--sky-brightness 0"),
    (("--ra", "10", "--dec", "10", "--stars", "5"), "--stars is for a field without"),
    (("--ra", "10", "--dec", "10", "--max-counts", "9000"), "--max-counts is for a field"),
    (("--ra", "10", "--dec", "10", "--site-elevation", "100"), "--site-elevation needs a site"),
])
def test_options_are_never_silently_ignored_nor_echoed_whole(tmp_path, argv, words):
    line = refused(ccdsim("image", tmp_path / "a.fits", "--shape", "64", "64", *argv,
                          bounded=False), words)
    assert len(line) < 300


def test_count_slope_zero_draws_stars_uniform_in_magnitude():
    from ccdsim.sky.catalogs import synthetic_catalog

    t = synthetic_catalog(10.0, 10.0, 0.5, bright=12, limit=20, density=2e4, slope=0.0, rng=1)
    mags = np.asarray(t["mag_V"])
    n = len(mags)  # uniform in [12, 20]: mean 16, each half holds n/2 (binomial, 5 sigma)
    assert n > 10000 and abs(mags.mean() - 16) < 5 * 8 / np.sqrt(12 * n)
    assert abs((mags < 16).sum() - n / 2) < 5 * np.sqrt(n) / 2


def test_dataset_list_and_show_take_nothing_else(tmp_path):
    refused(ccdsim("dataset", "--show", "guide", "--scale", "8", bounded=False), "--show",
            "--scale")
    refused(ccdsim("dataset", "--list", "guide", tmp_path / "out", bounded=False), "--list")


def test_a_file_named_like_a_built_in_plan_is_not_shadowed(tmp_path):
    (tmp_path / "guide").write_text('seed = 1\n[[groups]]\nkind = "bias"\n')
    refused(ccdsim("dataset", "guide", "out", cwd=tmp_path, bounded=False), "./guide")
    assert sorted(os.listdir(tmp_path)) == ["guide"]


def test_a_refused_rerun_still_removes_a_killed_runs_temporary(tmp_path):
    """A temporary of a writer that is gone goes, even when the rerun itself is refused."""
    body = '[[groups]]\nkind = "bias"\ncount = 1\n'
    path = plan(tmp_path, body)
    assert ccdsim("dataset", path, tmp_path / "out", "--quiet", bounded=False).returncode == 0
    import socket

    host = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40] or "host"
    stale = tmp_path / "out" / f".bias-001.fits.{host}-999999999-abcdef.part"
    stale.write_bytes(b"half a frame")
    refused(ccdsim("dataset", path, tmp_path / "out", bounded=False), "exists")
    assert not stale.exists()


def test_night_save_plan_makes_the_same_frames_again(tmp_path):
    """The command-line night as a plan to edit: `dataset` on it gives the same pixels."""
    small = ["--n-bias", "1", "--n-dark", "1", "--n-flat", "1", "--n-science", "2", "--quiet"]
    run = ccdsim("night", tmp_path / "n", "--camera", "thermoelectric", "--scale", "16",
                 "--gain", "2", "--camera-seed", "12", "--filters", "V,R", *small,
                 "--save-plan", tmp_path / "night.toml", bounded=False)
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "night.toml").read_text()
    assert "gain = 2.0" in text and "scale = 16" in text and "camera_seed = 12" in text
    run = ccdsim("dataset", tmp_path / "night.toml", tmp_path / "d", "--quiet", bounded=False)
    assert run.returncode == 0, run.stderr
    assert tree(tmp_path / "n") == tree(tmp_path / "d")
    for path in sorted((tmp_path / "n").rglob("*.fits")):
        again = tmp_path / "d" / path.relative_to(tmp_path / "n")
        assert (fits.getdata(path) == fits.getdata(again)).all(), path.name
    refused(ccdsim("night", tmp_path / "m", *small, "--save-plan", tmp_path / "x.txt",
                   bounded=False), "--save-plan", ".toml")
    assert not (tmp_path / "m").exists()

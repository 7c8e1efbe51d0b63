"""Batches: many frames with parameters drawn from ranges, reproducible and resumable.

Frame ``i`` of a batch draws its parameters from ``SeedSequence(seed,
spawn_key=(i, BatchStream.PARAMETERS))`` and its noise from ``SeedSequence(seed,
spawn_key=(i, BatchStream.NOISE))`` (`ccdsim.core.seeds.BatchStream`):
it is the same frame whether the batch has 10 frames or 10,000, runs here or on
a cluster, in any order.
"""

import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..camera.camera import Camera
from ..camera.named import GUIDE_BAD_COLUMNS, GUIDE_HOT_PIXEL_FRACTION
from ..core.params import BATCH_PARAMS, PARAMS, check
from ..core.params import DEFAULTS as D
from ..core.resources import check_memory
from ..core.seeds import BatchStream, seed_text
from ..core.validate import ParameterError
from ..io.files import check_free_space, check_outdir, folder_lock, sweep_temporaries
from ..io.fits import atomic_path
from ..io.toml import to_toml
from .execute import check_execution, write_frames

__all__ = ["BatchPlan", "Range", "make_batch_frame", "run_batch", "verify_frame"]

PLAN_FILE = "batch.toml"
#: The HDUs of every batch frame, in order (the star table exists even when empty).
FRAME_HDUS = ("PRIMARY", "TRUTH", "DQ")
MANIFEST = "manifest.ecsv"


@dataclass(frozen=True)
class Range:
    """A value, or a uniform range ``[low, high]`` to draw it from (``integer`` draws ints).

    Parameters
    ----------
    low, high : float
        Ends of the range, in the parameter's unit; equal for a fixed value.
    integer : bool, optional
        Draw integers in ``[low, high]`` (both ends included).
    """

    low: float
    high: float
    integer: bool = False

    def draw(self, rng):
        if self.low == self.high:
            return int(self.low) if self.integer else float(self.low)
        if self.integer:
            return int(rng.integers(int(self.low), int(self.high), endpoint=True))
        return float(rng.uniform(self.low, self.high))

    def text(self):
        fmt = (lambda v: str(int(v))) if self.integer else repr  # repr: every digit
        return fmt(self.low) if self.low == self.high else f"{fmt(self.low)}:{fmt(self.high)}"


#: The frame parameters a batch may vary, by their command-line / TOML name
#: (``bias``, ``exposure``): entries of the parameter table, so the ranges
#: allowed are those of `ccdsim image`.
PARAMETERS = {PARAMS[name].key: PARAMS[name] for name in BATCH_PARAMS}


def parse_range(name, text):
    """``"1.5"`` or ``"0.8:2.5"`` -> `Range`, checked against the parameter's allowed range.

    Parameters
    ----------
    name : str
        A key of `PARAMETERS`.
    text : str or float
        One value, or ``LOW:HIGH``.

    Returns
    -------
    Range
    """
    p = PARAMETERS[name]
    integer = p.kind == "int"
    parts = str(text).split(":")
    if len(parts) not in (1, 2):
        raise ParameterError(f"{name} must be a value or LOW:HIGH (got {text!r})",
                             param=p.name, spelled=name)
    values = []
    for part in parts:
        try:
            v = int(part) if integer else float(part)
        except ValueError:
            kind = "an integer" if integer else "a number"
            raise ParameterError(f"{name} must be {kind} or LOW:HIGH (got {text!r})",
                                 param=p.name, spelled=name) from None
        values.append(p.check(v, name))
    low, high = values[0], values[-1]
    if high < low:
        raise ParameterError(f"{name} range must have LOW <= HIGH (got {text!r})",
                             param=p.name, spelled=name)
    return Range(low, high, integer)


@dataclass(frozen=True)
class BatchPlan:
    """What a batch makes: ``n`` frames of ``shape`` from one camera seed.

    Parameters
    ----------
    n : int
        Number of frames.
    seed : int
        The batch seed; frame ``i`` uses its children ``(i, PARAMETERS)``
        and ``(i, NOISE)`` (noise, star positions) of `ccdsim.core.seeds.BatchStream`.
    shape : tuple of int
        ``(ny, nx)`` of every frame.
    camera_seed : int
        Where the defects are (one camera for the whole batch).
    ranges : dict
        ``{name: Range}`` for the names in `PARAMETERS`; missing names take
        their defaults (the guide's values).
    hot_pixels, bad_columns : bool
        Camera defects on or off.
    quantize : bool
        uint16 from the ADC, or float32.
    """

    n: int
    seed: int
    shape: tuple = D.shape
    camera_seed: int = D.camera_seed
    ranges: dict = field(default_factory=dict)
    hot_pixels: bool = True
    bad_columns: bool = True
    quantize: bool = True

    def __post_init__(self):
        check("n", self.n)
        check("seed", self.seed, high=PARAMS["camera_seed"].high)
        check("camera_seed", self.camera_seed)
        object.__setattr__(self, "shape", check("shape", self.shape))
        unknown = set(self.ranges) - set(PARAMETERS)
        if unknown:
            raise ParameterError(f"unknown batch parameter {sorted(unknown)[0]}")
        full = {k: Range(p.default, p.default, p.kind == "int") for k, p in PARAMETERS.items()}
        full.update(self.ranges)
        object.__setattr__(self, "ranges", full)
        # The camera every frame is made with, checked now (a 1-column sensor cannot
        # hold the guide's bad columns): refused before the folder is made.
        _camera(self, {})

    def frame_parameters(self, i):
        """Parameters of frame ``i``, drawn from the child ``(i, PARAMETERS)`` of the batch seed.

        Parameters
        ----------
        i : int
            Frame index.

        Returns
        -------
        dict
            ``{name: value}`` for every name in `PARAMETERS`.
        """
        key = (i, BatchStream.PARAMETERS)
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))
        return {name: r.draw(rng) for name, r in self.ranges.items()}

    def frame_seed(self, i):
        """The noise seed of frame ``i`` (the child ``(i, NOISE)`` of the batch seed).

        Parameters
        ----------
        i : int
            Frame index.

        Returns
        -------
        numpy.random.SeedSequence
        """
        return np.random.SeedSequence(self.seed, spawn_key=(i, BatchStream.NOISE))

    def filename(self, i):
        width = max(4, len(str(self.n - 1)))
        return f"frame_{i:0{width}d}.fits"

    def digest(self):
        """Short digest of `to_toml`: two plans with the same digest make the same frames."""
        import hashlib

        return hashlib.sha256(self.to_toml().encode()).hexdigest()[:16]

    def to_toml(self):
        """The plan as TOML (written to ``OUTDIR/batch.toml``)."""
        values = {"n": self.n, "seed": self.seed, "shape": list(self.shape),
                  "camera_seed": self.camera_seed, "hot_pixels": self.hot_pixels,
                  "bad_columns": self.bad_columns, "quantize": self.quantize}
        values.update({k: r.text() for k, r in self.ranges.items()})
        return to_toml(values)


def _camera(plan, p):
    """The camera of a batch frame with parameters ``p`` (defaults where missing)."""
    # Camera keyword: batch parameter name.
    names = {"gain": "gain", "read_noise": "read_noise", "bias_level": "bias",
             "dark_current": "dark_current"}
    extra = {key: p[name] for key, name in names.items() if name in p}
    return Camera(shape=plan.shape, bad_columns=GUIDE_BAD_COLUMNS if plan.bad_columns else 0,
                  hot_pixel_fraction=GUIDE_HOT_PIXEL_FRACTION if plan.hot_pixels else 0.0,
                  camera_seed=plan.camera_seed, **extra)


def batch_bytes(plan, n=None):
    """Bytes ``n`` frames of ``plan`` take on disk (default: all of them).

    Parameters
    ----------
    plan : BatchPlan
        The batch.
    n : int, optional
        How many frames.

    Returns
    -------
    int
    """
    ny, nx = plan.shape
    return (plan.n if n is None else n) * (ny * nx * ((2 if plan.quantize else 4) + 1)
                                           + 64 * 2880)


def make_batch_frame(plan, i, *, threads=None):
    """Make frame ``i`` of ``plan``: a pure function of the plan and the index.

    Parameters
    ----------
    plan : BatchPlan
        The batch.
    i : int
        Frame index.
    threads : int, optional
        Worker threads; never changes the pixels.

    Returns
    -------
    Frame
        With ``BATCHIDX`` and ``BATCHSD`` in its header.
    """
    p = plan.frame_parameters(i)
    cam = _camera(plan, p)
    cards = {"BATCHIDX": (i, "index of this frame in its batch"),
             "BATCHSD": (plan.seed, "batch seed"),
             "BATCHPLN": (plan.digest(), "digest of the batch plan (batch.toml)")}
    return cam.prepare(p["exposure"], sky=p["sky"], stars=p["stars"], max_counts=p["max_counts"],
                       star_sigma=p["star_sigma"], quantize=plan.quantize, cards=cards,
                       rng=plan.frame_seed(i)).frame(threads=threads)


def verify_frame(path, plan, i):
    """True if ``path`` is frame ``i`` of ``plan``, whole (FITS checksums) and as planned.

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file.
    plan : BatchPlan
        The batch.
    i : int
        The frame's index in the batch.

    Returns
    -------
    bool
    """
    from astropy.io import fits

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a checksum mismatch is only a warning
            with fits.open(path, checksum=True) as hdul:
                h = hdul[0].header
                # Every HDU a batch frame has, each read whole (checksums): a file cut
                # exactly where an extension begins is a valid FITS file, one HDU short.
                if [hdu.name for hdu in hdul] != list(FRAME_HDUS):
                    return False
                for hdu in hdul:
                    hdu.data  # read it all: a truncated file fails here
                return (h.get("BATCHIDX") == i and h.get("BATCHSD") == plan.seed
                        and h.get("BATCHPLN") == plan.digest()
                        and h.get("FRMSEED") == seed_text(plan.frame_seed(i))
                        and (h.get("NAXIS2"), h.get("NAXIS1")) == plan.shape)
    except Exception:  # unreadable, truncated, or failing its checksums
        return False


def run_batch(plan, outdir, *, overwrite=False, threads=None, workers=None, scheduler=None,
              progress=False, history=()):
    """Write the frames of ``plan`` into ``outdir``, skipping those already complete.

    Parameters
    ----------
    plan : BatchPlan
        What to make.
    outdir : str
        Folder (created if missing). It holds ``batch.toml`` (the plan),
        the frames and ``manifest.ecsv`` (one row per frame: file and parameters).
    overwrite : bool, optional
        Replace a folder holding another plan (its frames are removed first)
        or frames of no plan; without it that is refused.
    threads : int, optional
        Threads per frame when run here; never changes the pixels.
    workers, scheduler : optional
        Where to run (see `ccdsim.run.execute.run_tasks`).
    progress : bool, optional
        Show a progress bar.
    history : sequence of str, optional
        HISTORY lines for every frame's header (the effective configuration).

    Returns
    -------
    dict
        ``made``, ``skipped`` (frames already complete and verified).
    """
    check_execution(workers, scheduler)  # before anything is written
    check_memory(plan.shape, 2 if plan.quantize else 4)
    outdir = check_outdir(outdir)
    if not os.path.isdir(outdir):
        # A new folder: every frame is to be made; refused before the folder is.
        check_free_space(outdir, batch_bytes(plan), "the batch")
    os.makedirs(outdir, exist_ok=True)
    with folder_lock(outdir):
        return _run_locked(plan, outdir, overwrite=overwrite, threads=threads, workers=workers,
                           scheduler=scheduler, progress=progress, history=history)


def _run_locked(plan, outdir, *, overwrite, threads, workers, scheduler, progress, history):
    """`run_batch` once this run holds ``outdir``."""
    import glob

    from astropy.table import Table

    plan_path = os.path.join(outdir, PLAN_FILE)
    text = plan.to_toml()
    ours = sorted(glob.glob(os.path.join(outdir, "frame_*.fits")))
    manifest_path = os.path.join(outdir, MANIFEST)
    if os.path.exists(manifest_path):
        ours.append(manifest_path)
    same = False
    if os.path.exists(plan_path):
        with open(plan_path) as f:
            same = f.read() == text
        if not same and not overwrite:
            raise FileExistsError(f"{outdir} holds another batch (its {PLAN_FILE} differs); "
                                  "use --overwrite or another folder")
    elif ours and not overwrite:
        raise FileExistsError(f"{outdir} holds frames of no batch plan ({os.path.basename(ours[0])}"
                              f", ...); use --overwrite or another folder")
    paths = [os.path.join(outdir, plan.filename(i)) for i in range(plan.n)]
    todo = [i for i in range(plan.n) if not (same and verify_frame(paths[i], plan, i))]
    freed = 0 if same else sum(os.path.getsize(p) for p in ours)
    check_free_space(outdir, batch_bytes(plan, len(todo)) - freed, "the batch")
    if not same:
        for path in ours:  # another plan's frames: never mistaken for ours
            os.unlink(path)
    # We hold the folder: every temporary of its files is a leftover of a killed run.
    sweep_temporaries([*paths, plan_path, manifest_path], everyone=True)
    with atomic_path(plan_path, overwrite=True) as tmp:
        with open(tmp, "w") as f:
            f.write(text)
    write_frames(make_batch_frame, plan,
                 [(i, os.path.join(outdir, plan.filename(i))) for i in todo], overwrite=True,
                 threads=threads, workers=workers, scheduler=scheduler, progress=progress,
                 history=history, desc="batch")

    rows = []
    for i in range(plan.n):
        rows.append({"index": i, "file": plan.filename(i), **plan.frame_parameters(i)})
    manifest = Table(rows=rows)
    manifest.meta["seed"] = plan.seed
    manifest.meta["camera_seed"] = plan.camera_seed
    with atomic_path(os.path.join(outdir, MANIFEST), overwrite=True) as tmp:
        manifest.write(tmp, format="ascii.ecsv", overwrite=True)
    return {"made": len(todo), "skipped": plan.n - len(todo)}

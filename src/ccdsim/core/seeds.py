"""Random streams: camera defects from the camera seed, frame noise from the frame seed.

The two kinds never share a stream. Each defect kind has its own stream,
``SeedSequence(camera_seed, spawn_key=(kind,))``, so adding a new defect kind
changes no other. A frame's streams are children of the frame's
`~numpy.random.SeedSequence`, keyed by purpose and (for pixels) by row-block
index, so pixels depend on the seed only, never on threads or workers.
Every key is a named constant of the classes below (`Defect`, `Stream`,
`NightStream`, `CombinedStream`, `BatchStream`), never a bare number.
"""

import numpy as np

from .params import PARAMS
from .validate import ParameterError

__all__ = ["DEFAULT_CAMERA_SEED", "Defect", "Stream", "NightStream", "CombinedStream",
           "BatchStream", "STREAM_KINDS", "camera_rng", "frame_seed_sequence", "child_rng",
           "seed_text"]

# The guide seeds its bad columns with 8392; the table keeps it as the default camera.
DEFAULT_CAMERA_SEED = PARAMS["camera_seed"].default


class Defect:
    """Spawn keys of the camera's fixed-pattern streams (never renumber)."""

    BAD_COLUMNS = 0
    HOT_PIXELS = 1
    FLAT = 2
    DUST = 3
    BIAS_ROWS = 4
    BIAS_COLUMNS = 5
    # Camera personalities number their keys by block (the dark side from 10),
    # so effects added side by side never share a stream.
    HOT_POPULATION = 10
    HOT_UNSTABLE = 11
    # Flat cosmetics and per-filter flats (the light side: 30-39)
    DEAD_COLUMNS = 30
    PARTIAL_COLUMNS = 31
    LOW_PATCHES = 32
    THINNING = 33
    FILTER_FLAT = 34  # a filter's stream: this key's draw and the filter name's CRC-32
    # CMOS fixed pattern (40-49)
    RTS = 40
    PIXEL_OFFSETS = 41
    COLUMN_GAIN = 42


class Stream:
    """Spawn keys of a frame's noise streams (never renumber)."""

    STARS = 0
    PIXELS = 1
    COSMIC_RAYS = 2
    BIAS_JITTER = 3
    OVERSCAN_ROWS = 4
    OVERSCAN_DARK = 5
    SKY_FIELD = 6  # a pointed frame's synthetic star field (`ccdsim.plans.sky.expose_pointed`)
    # Camera personalities number their keys by block (the dark side from 10).
    HOT_SWITCH = 10
    # The read-out chain read amplifier by amplifier (`ccdsim.readout.segments`):
    # amplifier k's read noise at (SEGMENT_NOISE, k), its overscan's dark at
    # (SEGMENT_OVERSCAN, k).
    SEGMENT_NOISE = 20
    SEGMENT_OVERSCAN = 21
    # A CMOS frame's own offsets (`ccdsim.physics.cmos.frame_offsets`).
    ROW_NOISE = 22
    RTS = 23
    # A binned CCD frame (`ccdsim.readout.binning`): one read noise per binned pixel,
    # the whole frame at once; its overscan's dark charge.
    BINNED_NOISE = 30
    BINNED_OVERSCAN = 31


class NightStream:
    """Spawn keys under a night's seed (never renumber).

    The star field at ``(FIELD,)``; frame ``i`` at ``(FRAMES, i)``, so a frame's
    noise depends on its index in the plan only, not on the order frames run.
    """

    FIELD = 0
    FRAMES = 1
    # A target's synthetic catalogue at (CATALOG, k); each science frame's
    # dither and seeing at (POINTING, i): the telescope's, not the camera's noise.
    CATALOG = 2
    POINTING = 3


class CombinedStream:
    """Spawn keys below ``(FRAMES, index, k)``, the ``k``-th frame a combined frame draws.

    Never renumber.
    """

    BIAS = 1  # the bias frame subtracted from it


class BatchStream:
    """Spawn keys after a frame's index under a batch's seed (never renumber).

    Frame ``i`` draws its parameters at ``(i, PARAMETERS)`` and its noise and
    star positions at ``(i, NOISE)``.
    """

    PARAMETERS = 0
    NOISE = 1


#: Every family of spawn keys: the keys of one family never repeat.
STREAM_KINDS = (Defect, Stream, NightStream, CombinedStream, BatchStream)


# Tag mixed into every camera seed's entropy ("CAMERA" in ASCII hex digits).
_CAMERA_DOMAIN = 0xCA3E7A


def camera_rng(camera_seed, kind):
    """Generator for one kind of camera defect.

    Parameters
    ----------
    camera_seed : int
        The camera's identity (non-negative).
    kind : int
        One of the `Defect` constants.
    """
    # The camera's entropy carries a domain tag, so a camera seed equal to a
    # frame seed still gives streams of its own.
    entropy = [int(camera_seed), _CAMERA_DOMAIN]
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(kind,)))


def frame_seed_sequence(rng=None):
    """Turn anything `numpy.random.default_rng` accepts into a SeedSequence.

    ``None`` draws fresh entropy (recorded in the header, so the frame can be
    repeated); a Generator or BitGenerator is advanced by one draw.

    Parameters
    ----------
    rng : {None, int, array_like[int], SeedSequence, BitGenerator, Generator}, optional
        The frame's seed (SPEC 7).

    Returns
    -------
    numpy.random.SeedSequence
    """
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, (np.random.Generator, np.random.BitGenerator)):
        gen = rng if isinstance(rng, np.random.Generator) else np.random.Generator(rng)
        return np.random.SeedSequence(int(gen.integers(0, 2**63)))
    if rng is not None and np.ndim(rng) == 0:
        rng = PARAMS["seed"].check(rng, "rng")  # any size: a fresh FRMSEED has 128 bits
    try:
        return np.random.SeedSequence(rng)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"rng must be None, an integer >= 0, a sequence of them, a "
                             f"SeedSequence or a Generator ({exc})", param="seed",
                             spelled="rng") from None


def child_rng(seed_seq, *key):
    """Generator for the child of ``seed_seq`` at ``key`` (stateless, unlike ``spawn``).

    Parameters
    ----------
    seed_seq : numpy.random.SeedSequence
        The frame's seed.
    *key : int
        Path below ``seed_seq``: a `Stream` constant, then e.g. a block index.

    Returns
    -------
    numpy.random.Generator
    """
    child = np.random.SeedSequence(seed_seq.entropy, spawn_key=tuple(seed_seq.spawn_key) + key)
    return np.random.default_rng(child)


def seed_text(seed_seq):
    """Text that `frame_seed_sequence`/`parse_seed_text` turn back into ``seed_seq``.

    Parameters
    ----------
    seed_seq : numpy.random.SeedSequence
        The seed to write down (entropy and spawn key).

    Returns
    -------
    str
        ``"ENTROPY"`` or ``"ENTROPY/KEY,..."`` (the ``FRMSEED`` header value).
    """
    entropy = seed_seq.entropy
    if not isinstance(entropy, int):
        entropy = ",".join(str(int(e)) for e in np.atleast_1d(entropy))
    if seed_seq.spawn_key:
        return f"{entropy}/" + ",".join(str(k) for k in seed_seq.spawn_key)
    return str(entropy)


def parse_seed_text(text):
    """Inverse of `seed_text`."""
    entropy, _, key = str(text).partition("/")
    ent = [int(e) for e in entropy.split(",")]
    return np.random.SeedSequence(ent[0] if len(ent) == 1 else ent,
                                  spawn_key=tuple(int(k) for k in key.split(",")) if key else ())

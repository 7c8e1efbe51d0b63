"""Making frame ``i`` of a plan: its seed, light, header cards and clock.

`run_frame` is a pure function of a `ccdsim.plans.model.NightPlan` and an index:
frame ``i`` draws its noise from the child ``(FRAMES, i)`` of the plan's
seed, its light from its target and group (`frame_light`), its header from
the plan, the group and the camera (`frame_cards`, `apply_cards`).
"""

import numpy as np

from ..core.params import PARAMS
from ..core.seeds import NightStream, seed_text
from ..sky.astrometry import mjd_card
from .model import expand_card
from .sky import has_sky, sky_cards, sky_light

__all__ = ["frame_seed", "frame_light", "frame_cards", "apply_cards"]


def frame_seed(plan, index):
    """The `~numpy.random.SeedSequence` of frame ``index``: child ``(FRAMES, index)``.

    Parameters
    ----------
    plan : NightPlan
        The plan.
    index : int
        Position in ``plan.frames``.

    Returns
    -------
    numpy.random.SeedSequence
    """
    return np.random.SeedSequence(plan.seed, spawn_key=(NightStream.FRAMES, int(index)))


def frame_light(plan, spec):
    """The light of frame ``spec``: keywords of `ccdsim.Camera.prepare`.

    Parameters
    ----------
    plan : NightPlan
        The plan.
    spec : FrameSpec
        The frame.

    Returns
    -------
    dict
        ``sky`` (ADU over the exposure, a number or a map across the
        columns), ``stars`` (a table or None), ``moffat``, ``star_sigma``,
        ``filter``.
    """
    cam = plan.camera_named(spec.camera)
    sky, stars, trail = spec.sky, None, None
    if has_sky(plan, spec):  # a pointing: catalogue stars through the air, the sky's glow
        stars, sky, trail = sky_light(plan, spec)
    if spec.sky_gradient and sky:
        nx = cam.shape[1]
        ramp = 1.0 + spec.sky_gradient * (np.arange(nx) / max(nx - 1, 1) - 0.5)
        sky = np.broadcast_to(sky * ramp, cam.shape)
    if spec.stars and stars is None:
        stars = plan.field_for(spec)
        if spec.flux_scale != 1.0:
            stars = stars.copy()
            stars["flux"] = stars["flux"] * spec.flux_scale
            if "peak" in stars.colnames:
                stars["peak"] = stars["peak"] * spec.flux_scale
    return dict(sky=sky, stars=stars, moffat=plan.moffat, star_sigma=plan.star_sigma,
                filter=spec.filter, trail=trail)


def frame_cards(plan, index):
    """Header cards of frame ``index``: the plan's, the frame's, its date and seed."""
    spec = plan.frames[index]
    cards = {"DATE-OBS": (spec.date_obs, "[UTC] start of the exposure"),
             **mjd_card(spec.date_obs), **plan.header}
    cam = plan.camera_named(spec.camera)
    for key, value, comment in spec.cards:
        cards[key] = (expand_card(value, cam), comment)
    cards["NIGHTSD"] = (seed_text(plan.seed_sequence), "seed of the night")
    cards["FRAMENUM"] = (index, "index of this frame in the night")
    if spec.kind == "flat" and spec.sky:
        cards["FLATLEV"] = (spec.sky, PARAMS["flat_level"].fits_comment)
    qe = next((v for k, v, _ in spec.cards if k == "EMVAQE"), None)
    if qe:  # a stated quantum efficiency: the photons per pixel the light needed
        light = spec.sky if spec.kind == "flat" and np.isscalar(spec.sky) else 0.0
        cards["EMVAMUP"] = (float(light) * cam.gain / float(qe),
                            "[photon] EMVA 1288 mu_p: FLATLEV*GAIN/EMVAQE")

    if has_sky(plan, spec):
        cards.update(sky_cards(plan, spec))
    return cards


def apply_cards(header, spec, camera):
    """The plan's cards win over the camera's own (sections, ``BUNIT``, ...)."""
    for key, value, comment in spec.cards:
        value = expand_card(value, camera)
        if header.get(key) != value:
            header[key] = (value, comment)

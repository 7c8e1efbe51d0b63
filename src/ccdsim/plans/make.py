"""Making frame ``i`` of a plan: a pure function of the plan and ``i``.

A plain frame is its camera's exposure with the plan's light, seed, clock,
cards and the after-images of earlier frames (`ccdsim.plans.afterimages`);
a combined frame is the mean of many (`ccdsim.plans.combine`).
"""

from ..core.params import check
from ..core.validate import check_int
from .afterimages import frame_persistence
from .combine import run_combined
from .frames import apply_cards, frame_cards, frame_light, frame_seed

__all__ = ["run_frame"]


def run_frame(plan, index, *, threads=None):
    """Make frame ``index`` of ``plan``: a pure function of the two.

    Parameters
    ----------
    plan : NightPlan
    index : int
        Position in ``plan.frames``.
    threads : int, optional
        Worker threads; never changes the pixels.

    Returns
    -------
    Frame
        With the plan's keywords (``DATE-OBS``, ``FILTER``, ...); science
        frames: ``TRUTH``. A combined frame (`FrameSpec.combine`): see
        `ccdsim.plans.combine.run_combined`.
    """
    index = check_int("index", index, high=len(plan.frames) - 1)
    threads = check("threads", threads)
    spec = plan.frames[index]
    if spec.combine is not None:
        return run_combined(plan, index, threads=threads)
    cards = frame_cards(plan, index)
    view, _ = plan.view(spec.camera)
    local = plan.position(index)
    charge, cards = frame_persistence(view, local, cards)  # earlier frames' after-images
    cam = plan.camera_named(spec.camera)
    frame = cam.prepare(spec.exposure_time, clock=view.clocks[local], quantize=plan.quantize,
                        cards=cards, charge=charge, imagetyp=spec.imagetyp, rng=frame_seed(plan, index),
                        bias_offset=spec.bias_offset,
                        **frame_light(plan, spec)).frame(threads=threads)
    apply_cards(frame.header, spec, cam)
    return frame

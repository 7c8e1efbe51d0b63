"""The read-out: an exposure's electrons turned into ADU, in the order a camera works.

`read_out` (`ccdsim.readout.pipeline`) runs the steps of
`ccdsim.readout.steps` block by block, or with charge that moves
(`ccdsim.readout.moving`); `ccdsim.readout.exposure` plans an exposure and
`ccdsim.readout.frame` holds what comes out. The names of the former
``ccdsim.readout`` module are importable from here.
"""

from ..core.lazy import lazy_exports

_STEPS = ("BLOCK_ROWS", "ADC_MAX", "Block", "read_block", "add_cosmic_rays", "read_noise_deviates",
          "digitize", "pixel_blocks", "for_each_block")
_PHYSICS = ("Sources", "expected_electrons", "poisson_draw")
_EXPORTS = {**dict.fromkeys(_STEPS, ".steps"), **dict.fromkeys(_PHYSICS, "..physics.steps"),
            "read_out": ".pipeline", "plain_read_out": ".plain",
            "Exposure": ".exposure", "Frame": ".frame"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

"""Data-quality bits: what the truth knows about each pixel.

Every frame carries a ``DQ`` image (uint8, the shape of the read-out frame)
whose bits say why a pixel cannot be trusted. It is truth for checking a
reduction, so it is not named ``MASK`` (which `astropy.nddata.CCDData.read`
would apply on its own).
"""

__all__ = ["DQ"]


class DQ:
    """Bit values of the ``DQ`` image (never renumber)."""

    HOT_PIXEL = 1  #: dark current ``hot_pixel_factor`` times the rest
    BAD_COLUMN = 2  #: bias column with a per-row offset pattern
    COSMIC_RAY = 4  #: received charge from a cosmic ray
    FULL_WELL = 8  #: reached the full well, or received charge bleeding from one
    ADC_SATURATED = 16  #: clipped by the ADC (0 or 65535 ADU)
    # The flat's cosmetics (32, 64, 128):
    DEAD_COLUMN = 1 << 5  #: no light reaches it (flat 0: dividing by the flat gives inf there)
    PARTIAL_COLUMN = 1 << 6  #: a partial bad column, from its first bad row: low sensitivity
    LOW_PATCH = 1 << 7  #: inside a low-sensitivity patch of the flat

    @classmethod
    def describe(cls):
        """``{name: bit}`` for the header and the docs."""
        return {k: v for k, v in vars(cls).items() if k.isupper()}

import pytest

from ccdsim import Camera


@pytest.fixture(scope="session")
def guide_camera_1k():
    """The guide's camera on a 1000x1000 sensor (same physics, quarter of the pixels)."""
    return Camera(shape=(1000, 1000))


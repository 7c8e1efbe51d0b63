import os

import pytest
from hypothesis import settings

from ccdsim import Camera

# In CI the property tests draw the same examples every run (a failure there
# is then a change in the code, not a new draw); elsewhere they explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def guide_camera_1k():
    """The guide's camera on a 1000x1000 sensor (same physics, quarter of the pixels)."""
    return Camera(shape=(1000, 1000))

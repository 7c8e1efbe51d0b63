"""The reference documentation builds without a single warning (numpydoc checks included)."""

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_docs_build_without_warnings(tmp_path):
    # -W turns warnings into errors: an undocumented parameter (numpydoc PR01),
    # a broken cross-reference or a malformed docstring fails the build.
    out = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                          str(DOCS), str(tmp_path / "html")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    html = (tmp_path / "html" / "api.html").read_text()
    for name in ("ccdsim.Camera", "ccdsim.read_noise", "ccdsim.show_image", "ccdsim.dark_current",
                 "ccdsim.plan_night", "ccdsim.run_frame", "ccdsim.DQ", "ccdsim.Camera.prepare",
                 "ccdsim.readout.exposure.Exposure", "ccdsim.run.bigframe.exposure_to_dask",
                 "ccdsim.run.bigframe.write_chunked", "ccdsim.run.batch.run_batch",
                 "ccdsim.run.execute.run_tasks", "ccdsim.cli.configfile.load_config",
                 "ccdsim.core.params.parameter.Param",
                 "ccdsim.explorer.Explorer"):
        assert f'id="{name}"' in html, name
    assert (tmp_path / "html" / "from_the_guide.html").is_file()

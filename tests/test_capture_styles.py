"""IMAGETYP as the capture programs write it: ``--imagetyp-style`` and ccdproc's file filter.

Each style's words come from `ccdsim.plans.model.IMAGETYP_STYLES` (one place:
the option's help and its error list are made of it); ccdproc's
`~ccdproc.ImageFileCollection` finds each kind of a night by its word.
"""

import pytest
from ccdproc import ImageFileCollection

from ccdsim.cli import main
from ccdsim.core.params import PARAMS
from ccdsim.plans.model import IMAGETYP_STYLES

NIGHT = ["--shape", "16", "24", "--n-bias", "2", "--n-dark", "2", "--n-flat", "2",
         "--n-science", "2", "--exposure", "30", "--flat-exposure", "2", "--quiet"]


@pytest.mark.parametrize("style", sorted(IMAGETYP_STYLES))
def test_each_kind_is_found_by_its_word(tmp_path, capsys, style):
    out = tmp_path / "n"
    assert main(["night", str(out), *NIGHT, "--dark-exposures", "30,2",
                 "--imagetyp-style", style]) == 0
    words = IMAGETYP_STYLES[style]
    files = ImageFileCollection(str(out))
    darkflat = "darkflat" in words
    expected = {"bias": 2, "dark": 2 if darkflat else 4, "flat": 2, "science": 2}
    for kind, count in expected.items():
        found = files.files_filtered(imagetyp=words[kind])
        assert len(found) == count, (style, kind, found)
    if darkflat:  # the darks at the flats' exposure
        found = files.files_filtered(imagetyp=words["darkflat"], exptime=2.0)
        assert len(found) == 2
        assert len(files.files_filtered(imagetyp=words["darkflat"])) == 2


def test_the_words_of_nina_and_asiair():
    assert IMAGETYP_STYLES["nina"] == {"bias": "BIAS", "dark": "DARK", "flat": "FLAT",
                                       "science": "LIGHT", "darkflat": "DARKFLAT"}
    assert IMAGETYP_STYLES["asiair"] == {"bias": "Bias", "dark": "Dark", "flat": "Flat",
                                         "science": "Light"}


def test_the_help_and_the_refusal_list_every_style(tmp_path, capsys):
    help_text = PARAMS["imagetyp_style"].help
    for style, words in IMAGETYP_STYLES.items():
        assert f"{style} ({', '.join(words.values())})" in help_text
    assert main(["night", str(tmp_path / "n"), *NIGHT, "--imagetyp-style", "sharpcap"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ccdsim: error: --imagetyp-style")
    assert ", ".join(IMAGETYP_STYLES) in lines[0]
    assert list(tmp_path.iterdir()) == []

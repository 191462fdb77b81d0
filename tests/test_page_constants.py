"""Constants the page's JavaScript mirrors from the Python modules stay in step."""

import re

import pytest

from recognizer import preprocess
from tools import unipen
from tools.build_site import ROOT

WEB = ROOT / "web"


def js_constant(file: str, name: str) -> float:
    """The numeric value of ``export const NAME = <expr>;`` in web/<file> (digits, * only)."""
    source = (WEB / file).read_text(encoding="utf-8")
    match = re.search(rf"export const {name} = ([\d.\s*]+);", source)
    assert match, f"{name} not found in web/{file}"
    value = 1.0
    for factor in match.group(1).split("*"):
        value *= float(factor)
    return value


def test_brush_width_matches_the_pen_replay():
    assert js_constant("pad.js", "BRUSH_FRACTION") == pytest.approx(unipen.BRUSH_FRACTION)


def test_upload_limit_matches_the_preprocessing():
    assert js_constant("app.js", "MAX_UPLOAD_BYTES") == preprocess.MAX_IMAGE_BYTES

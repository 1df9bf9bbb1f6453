"""C2 with RGAA: the brand band takes the text colour that reads best, always ≥ 4.5:1."""

import pytest

from portal.domain import (
    COLOUR_FORMAT_ERROR,
    DomainError,
    colour_clean,
    contrast_ratio,
    readable_text_colour,
)


@pytest.mark.parametrize(
    ("background", "text", "_case"),
    [
        ("#1d4f91", "#ffffff", "dark blue"),
        ("#ffff00", "#000000", "yellow"),
        ("#ffffff", "#000000", "white"),
        ("#000000", "#ffffff", "black"),
        ("#777777", "#000000", "mid grey: black reads better"),
    ],
)
def test_readable_text_colour(background, text, _case):
    assert readable_text_colour(background) == text
    assert contrast_ratio(background, text) >= 4.5


def test_contrast_ratio_extremes():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#123456", "#123456") == pytest.approx(1.0)


@pytest.mark.parametrize("value", ["1d4f91", "#1d4f9", "#gggggg", "", "blue"])
def test_colour_format(value):
    with pytest.raises(DomainError) as error:
        colour_clean(value)
    assert str(error.value) == COLOUR_FORMAT_ERROR


def test_colour_is_normalised_to_lower_case():
    assert colour_clean(" #1D4F91 ") == "#1d4f91"

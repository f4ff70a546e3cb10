"""Mask tone of a plate: the decision of :mod:`mbfab.recipe.tone` (chrome on the feature or
on its complement) plus whether mbfab computes the complement or declares the polygon tone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mbfab.recipe.tone import (
    OPEN_ON_FEATURE,
    REMAIN_ON_FEATURE,
    Chrome,
    FieldTone,
    Polarity,
    ResistOnFeature,
    chrome_on,
    field_tone,
    resist_on_feature,
)

__all__ = [
    "OPEN_ON_FEATURE",
    "REMAIN_ON_FEATURE",
    "PlateTone",
    "Polarity",
    "ToneMode",
    "decide_tone",
]

ToneMode = Literal["auto", "complement", "declare"]


@dataclass(frozen=True)
class PlateTone:
    """The tone decisions for one plate, as the report and order sheet state them."""

    process: str
    polarity: Polarity
    resist_on_feature: ResistOnFeature
    chrome: Chrome
    field: FieldTone
    #: What the written polygons are: "chrome" or "clear" (the mask shop's polygon tone).
    data: Literal["chrome", "clear"]
    #: Whether mbfab computed the complement inside the field.
    inverted: bool

    @property
    def polygons(self) -> str:
        """One-line statement of what the plate's polygons are."""
        return f"data = {self.data}"


def decide_tone(
    process: str, polarity: Polarity, mode: ToneMode = "auto", *, arrayed: bool = False
) -> PlateTone:
    """Tone of the plate for a layer made by ``process`` in a resist of ``polarity``.

    ``mode`` says whether a needed complement is computed ("complement"), never computed
    ("declare": the polygons stay as drawn and the data tone says "clear"), or computed
    unless the layer is an array that the complement would flatten ("auto").
    """
    on_feature = resist_on_feature(process)
    chrome = chrome_on(process, polarity)
    field = field_tone(process, polarity)
    if chrome == "feature":
        return PlateTone(process, polarity, on_feature, chrome, field, "chrome", False)
    invert = mode == "complement" or (mode == "auto" and not arrayed)
    data: Literal["chrome", "clear"] = "chrome" if invert else "clear"
    return PlateTone(process, polarity, on_feature, chrome, field, data, invert)

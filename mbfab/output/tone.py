"""Mask tone: whether chrome covers the drawn feature or its complement.

A drawn feature is what stands on the wafer after the layer's process. The process says
whether the resist must be *open* over the feature (lift-off, plating, substrate etch, a mold
whose replica is its negative) or must *remain* on it (etch mask, permanent resist). A positive
resist dissolves where exposed, so chrome (which blocks light) goes where resist must remain;
a negative resist (or a positive one in image reversal) flips that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "OPEN_ON_FEATURE",
    "REMAIN_ON_FEATURE",
    "PlateTone",
    "Polarity",
    "ToneMode",
    "decide_tone",
]

Polarity = Literal["positive", "negative"]
ToneMode = Literal["auto", "complement", "declare"]

#: Processes that need the resist opened over the drawn feature.
OPEN_ON_FEATURE = frozenset({"lift-off", "plating", "substrate-etch", "mold"})
#: Processes that need the resist kept on the drawn feature.
REMAIN_ON_FEATURE = frozenset({"etch", "permanent"})


@dataclass(frozen=True)
class PlateTone:
    """The tone decisions for one plate, as the report and order sheet state them."""

    process: str
    polarity: Polarity
    resist_on_feature: Literal["open", "remain"]
    chrome: Literal["feature", "complement"]
    field: Literal["clear", "dark"]
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
    if process in OPEN_ON_FEATURE:
        on_feature: Literal["open", "remain"] = "open"
    elif process in REMAIN_ON_FEATURE:
        on_feature = "remain"
    else:
        raise ValueError(f"unknown process {process!r}")
    exposed_feature = on_feature == "open"
    if polarity == "negative":
        exposed_feature = not exposed_feature
    chrome: Literal["feature", "complement"] = "complement" if exposed_feature else "feature"
    field: Literal["clear", "dark"] = "dark" if chrome == "complement" else "clear"
    if chrome == "feature":
        return PlateTone(process, polarity, on_feature, chrome, field, "chrome", False)
    invert = mode == "complement" or (mode == "auto" and not arrayed)
    data: Literal["chrome", "clear"] = "chrome" if invert else "clear"
    return PlateTone(process, polarity, on_feature, chrome, field, data, invert)

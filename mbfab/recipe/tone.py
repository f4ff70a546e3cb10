"""Which side of a drawn feature a layer's plate darkens: the pure decision behind the tone.

A drawn feature is what stands on the wafer after the layer's process. The process says
whether the resist must be *open* over the feature (lift-off, plating, substrate etch, a mold
whose replica is its negative) or must *remain* on it (etch mask, permanent resist). A positive
resist dissolves where exposed, so chrome (which blocks light) goes where resist must remain;
a negative resist (or a positive one in image reversal) flips that. Designs read it to draw
alignment marks that stay visible through the plate; the output stage to write the plate.
"""

from __future__ import annotations

from typing import Literal

from mbfab.recipe.catalog import normalise_name, resist_library
from mbfab.recipe.schema import LayerSpec

__all__ = [
    "OPEN_ON_FEATURE",
    "REMAIN_ON_FEATURE",
    "Chrome",
    "FieldTone",
    "Polarity",
    "ResistOnFeature",
    "chrome_on",
    "field_tone",
    "layer_field",
    "layer_polarity",
    "resist_on_feature",
]

Polarity = Literal["positive", "negative"]
ResistOnFeature = Literal["open", "remain"]
Chrome = Literal["feature", "complement"]
FieldTone = Literal["clear", "dark"]

#: Processes that need the resist opened over the drawn feature.
OPEN_ON_FEATURE = frozenset({"lift-off", "plating", "substrate-etch", "mold"})
#: Processes that need the resist kept on the drawn feature.
REMAIN_ON_FEATURE = frozenset({"etch", "permanent"})


def resist_on_feature(process: str) -> ResistOnFeature:
    """Whether ``process`` needs the resist open or remaining over the drawn feature."""
    if process in OPEN_ON_FEATURE:
        return "open"
    if process in REMAIN_ON_FEATURE:
        return "remain"
    raise ValueError(f"unknown process {process!r}")


def chrome_on(process: str, polarity: Polarity) -> Chrome:
    """Where the plate's chrome goes: on the drawn feature or on its complement."""
    exposed_feature = resist_on_feature(process) == "open"
    if polarity == "negative":
        exposed_feature = not exposed_feature
    return "complement" if exposed_feature else "feature"


def field_tone(process: str, polarity: Polarity) -> FieldTone:
    """Dark field when chrome covers the complement of the features, else clear field."""
    return "dark" if chrome_on(process, polarity) == "complement" else "clear"


def layer_polarity(layer: LayerSpec) -> Polarity:
    """Polarity of the layer's resist as used (the resist library's tone)."""
    tone = resist_library()[normalise_name(layer.resist)].tone
    return "negative" if tone == "negative" else "positive"


def layer_field(layer: LayerSpec) -> FieldTone:
    """Field tone of the layer's plate, from its process and resist."""
    return field_tone(layer.process, layer_polarity(layer))

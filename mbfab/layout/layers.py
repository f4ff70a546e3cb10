"""Named layers: a name maps to exactly one (layer, datatype) and back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["GDS_NUMBER_MAX", "Layer", "LayerMap"]

#: GDSII stores layer and datatype numbers as 2-byte signed integers.
GDS_NUMBER_MAX = 32767


@dataclass(frozen=True, order=True)
class Layer:
    """A drawing layer: its name and its GDSII ``(layer, datatype)`` pair."""

    layer: int
    datatype: int
    name: str

    @property
    def spec(self) -> tuple[int, int]:
        return (self.layer, self.datatype)

    def __str__(self) -> str:
        return f"{self.name} ({self.layer}/{self.datatype})"


class LayerMap:
    """A validated, ordered set of layers; refuses duplicate names and duplicate numbers."""

    def __init__(self, layers: Iterable[Layer] = ()) -> None:
        self._by_name: dict[str, Layer] = {}
        self._by_spec: dict[tuple[int, int], Layer] = {}
        for layer in layers:
            self.add(layer)

    def add(self, layer: Layer) -> Layer:
        """Add ``layer``; raise ``ValueError`` if its name or number is taken."""
        for number in layer.spec:
            if not 0 <= number <= GDS_NUMBER_MAX:
                raise ValueError(f"layer {layer.name!r}: GDS number {number} outside 0..32767")
        if layer.name in self._by_name:
            raise ValueError(f"layer name {layer.name!r} is used twice")
        if layer.spec in self._by_spec:
            other = self._by_spec[layer.spec]
            raise ValueError(
                f"layers {other.name!r} and {layer.name!r} share GDS {layer.layer}/{layer.datatype}"
            )
        self._by_name[layer.name] = layer
        self._by_spec[layer.spec] = layer
        return layer

    def __getitem__(self, name: str) -> Layer:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def by_spec(self, spec: tuple[int, int]) -> Layer | None:
        """The layer drawn on GDS ``(layer, datatype)``, if any."""
        return self._by_spec.get(spec)

    def __iter__(self) -> Iterator[Layer]:
        return iter(sorted(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> list[str]:
        return [layer.name for layer in self]

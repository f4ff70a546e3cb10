"""Parameters of each design kind, as a recipe states them (lengths already in um).

Each model lists its fields with defaults that build a valid device, and
``problems()`` returns geometry that cannot be built, as (key path, message) pairs.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from mbfab.recipe.fields import STRICT, Length, NonNegativeLength, PositiveLength

__all__ = [
    "DESIGN_PARAMS",
    "DesignParams",
    "HolesParams",
    "InterdigitalParams",
    "LatticeSpec",
    "PillarsParams",
    "PostsSpec",
    "Problem",
    "RegionSpec",
    "StackedParams",
    "SwissRollParams",
    "TrenchesParams",
]

Problem = tuple[tuple[str | int, ...], str]


class DesignParams(BaseModel):
    """Base of every design kind's parameters."""

    model_config = STRICT

    #: Layer roles the recipe must provide for this kind (one layer each).
    required_roles: ClassVar[tuple[str, ...]] = ()
    #: Roles bottom-up as the design stacks its films. The rules follow it: a collector
    #: below an electrode encloses it; an electrolyte or separator in it covers the electrodes.
    stack: ClassVar[tuple[str, ...]] = ()
    #: ``side-by-side``: cathode and anode apart in plan (in-plane gap and short rules);
    #: ``stacked``: they overlap in plan, kept apart vertically by the electrolyte.
    electrodes: ClassVar[Literal["side-by-side", "stacked"]] = "side-by-side"

    def problems(self) -> list[Problem]:
        """Geometry that cannot be built from these parameters."""
        return []

    def needed_roles(self) -> tuple[str, ...]:
        """Roles these parameters need (``required_roles`` plus any an option adds)."""
        return self.required_roles


class LatticeSpec(BaseModel):
    """A lattice of identical features (shared by post and pillar/hole arrays)."""

    model_config = STRICT

    lattice: Literal["square", "hex"] = Field("hex", description="square or hexagonal lattice")
    shape: Literal["circle", "square", "hexagon"] = Field(
        "circle", description="feature outline (size = diameter, side or width across flats)"
    )
    size: PositiveLength = Field(5.0, description="feature size")
    pitch: PositiveLength = Field(10.0, description="centre-to-centre distance")
    depth: PositiveLength = Field(50.0, description="etch depth or post height (estimates)")
    vertices: int | None = Field(
        None, ge=8, le=1024, description="circle vertex count (default: from arc_tolerance)"
    )
    arc_tolerance: PositiveLength = Field(0.05, description="max deviation of a faceted circle")
    clearance: NonNegativeLength = Field(
        0.0, description="features stay this far inside the region edge"
    )


def _lattice_problems(spec: LatticeSpec, at: tuple[str, ...]) -> list[Problem]:
    found: list[Problem] = []
    # Hexagons and circles sit on their circumcircle when the lattice is hexagonal too.
    if spec.size >= spec.pitch:
        found.append(
            (
                (*at, "pitch"),
                f"pitch {spec.pitch:g} um must exceed the feature size {spec.size:g} um "
                "(neighbouring features would merge)",
            )
        )
    return found


class PostsSpec(LatticeSpec):
    """3D posts inside each finger of an interdigital cell (carbon-MEMS / Si-post style)."""

    electrodes: Literal["cathode", "anode", "both"] = Field(
        "both", description="which fingers get posts"
    )
    role: Literal["etch-mask", "mold", "other"] = Field(
        "etch-mask", description="role of the layer the posts are drawn on"
    )
    clearance: NonNegativeLength = Field(5.0, description="posts stay this far inside a finger")


class InterdigitalParams(DesignParams):
    """In-plane interdigital cell: two combs of fingers on current collectors.

    ::

        +--------------------------------+   anode bus (bus_width)
        |   |‾|     |‾|     |‾|     |‾|  |
        |   | |     | |     | |     | |  |   finger_length
        |‾| | | |‾| | | |‾| | | |‾| | |  |
        | | |_| | | |_| | | |_| | | |_|  |   <- tip_gap to the other bus
        | |  gap| |     | |     | |      |
        +--------------------------------+   cathode bus
    """

    required_roles: ClassVar[tuple[str, ...]] = ("collector", "cathode", "anode")
    stack: ClassVar[tuple[str, ...]] = ("collector", "cathode", "anode", "electrolyte")

    kind: Literal["interdigital"] = "interdigital"
    fingers: int = Field(10, ge=1, le=100_000, description="finger pairs (cathode + anode)")
    finger_width: PositiveLength = Field(50.0, description="width of every finger")
    finger_length: PositiveLength = Field(1000.0, description="finger length from its bus bar")
    gap: PositiveLength = Field(20.0, description="collector gap between neighbouring fingers")
    tip_gap: PositiveLength | None = Field(
        None, description="finger tip to the opposite bus bar (default: gap)"
    )
    bus_width: PositiveLength = Field(100.0, description="width of each bus bar")
    pad: tuple[PositiveLength, PositiveLength] = Field(
        (300.0, 300.0), description="contact pad [width, height]"
    )
    inset: NonNegativeLength = Field(5.0, description="electrode edge inside its collector edge")
    electrolyte_margin: NonNegativeLength = Field(
        50.0, description="electrolyte window beyond the electrode field"
    )
    corner_radius: NonNegativeLength = Field(0.0, description="radius of rounded convex corners")
    posts: PostsSpec | None = Field(None, description="3D post arrays inside the fingers")

    def needed_roles(self) -> tuple[str, ...]:
        extra = (self.posts.role,) if self.posts is not None else ()
        return (*self.required_roles, *extra)

    @property
    def effective_tip_gap(self) -> float:
        return self.tip_gap if self.tip_gap is not None else self.gap

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        if 2 * self.inset >= self.finger_width:
            found.append(
                (
                    (("inset",)),
                    f"inset {self.inset:g} um leaves no electrode on a "
                    f"{self.finger_width:g} um finger (must be < half the finger width)",
                )
            )
        if 2 * self.inset >= self.bus_width:
            found.append(
                (
                    ("inset",),
                    f"inset {self.inset:g} um must be < half the bus width {self.bus_width:g} um",
                )
            )
        if self.effective_tip_gap >= self.finger_length:
            found.append(
                (
                    ("tip_gap" if self.tip_gap is not None else "gap",),
                    f"tip gap {self.effective_tip_gap:g} um must be shorter than the "
                    f"finger length {self.finger_length:g} um (fingers would not overlap)",
                )
            )
        narrowest = min(self.finger_width, self.bus_width) - 2 * self.inset
        if self.corner_radius > 0 and 2 * self.corner_radius > narrowest:
            found.append(
                (
                    ("corner_radius",),
                    f"corner radius {self.corner_radius:g} um must be "
                    "at most half the narrowest electrode",
                )
            )
        if self.posts is not None:
            room = self.finger_width - 2 * self.inset - 2 * self.posts.clearance
            if self.posts.size > room:
                found.append(
                    (
                        ("posts", "size"),
                        f"posts of {self.posts.size:g} um do not fit a finger electrode "
                        f"{self.finger_width - 2 * self.inset:g} um wide with "
                        f"{self.posts.clearance:g} um clearance on each side",
                    )
                )
            found += _lattice_problems(self.posts, ("posts",))
        return found


class StackedParams(DesignParams):
    """Stacked thin-film cell, layered bottom-up; collectors leave on opposite sides.

    ::

                   +-------------------------------+  electrolyte (encloses cathode
        +-----+    |  +-------------------------+  |  by electrolyte_enclosure)
        | pad |====|==|  cathode (on its        |  |  anode = electrolyte inset by
        +-----+ tab|  |  collector, enclosed by |  |  anode_inset; the anode collector
         cathode   |  |  collector_enclosure)   |[]|====+-----+  touches the anode only
         collector |  +-------------------------+  |    | pad |  beyond the cathode
                   +-------------------------------+    +-----+  collector + collector_gap
    """

    required_roles: ClassVar[tuple[str, ...]] = (
        "cathode-collector",
        "cathode",
        "electrolyte",
        "anode",
        "anode-collector",
    )
    stack: ClassVar[tuple[str, ...]] = required_roles
    electrodes: ClassVar[Literal["side-by-side", "stacked"]] = "stacked"

    kind: Literal["stacked"] = "stacked"
    shape: Literal["rectangle", "circle"] = Field("rectangle", description="cathode outline")
    cathode: tuple[PositiveLength, PositiveLength] = Field(
        (1000.0, 1000.0), description="cathode [width, height] (circle: diameter twice)"
    )
    corner_radius: NonNegativeLength = Field(0.0, description="rounded rectangle corners")
    collector_enclosure: NonNegativeLength = Field(
        20.0, description="cathode collector beyond the cathode"
    )
    electrolyte_enclosure: PositiveLength = Field(
        60.0, description="electrolyte beyond the cathode on every side"
    )
    anode_inset: PositiveLength = Field(20.0, description="anode edge inside the electrolyte edge")
    collector_gap: PositiveLength = Field(
        50.0, description="anode collector to cathode collector, in plan"
    )
    anode_contact: PositiveLength = Field(
        100.0, description="length of anode the anode collector covers"
    )
    tab_width: PositiveLength = Field(200.0, description="width of each collector tab")
    tab_length: PositiveLength = Field(300.0, description="tab length from cell edge to pad")
    pad: tuple[PositiveLength, PositiveLength] = Field(
        (400.0, 400.0), description="contact pad [width, height]"
    )

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        w, h = self.cathode
        if self.shape == "circle" and w != h:
            found.append(
                (("cathode",), f"a circular cathode needs width == height, got {w:g} x {h:g} um")
            )
        if 2 * self.corner_radius > min(w, h):
            found.append(
                (("corner_radius",), "corner radius exceeds half the cathode's short side")
            )
        if self.electrolyte_enclosure <= self.collector_enclosure:
            found.append(
                (
                    ("electrolyte_enclosure",),
                    f"electrolyte enclosure {self.electrolyte_enclosure:g} um must exceed the "
                    f"collector enclosure {self.collector_enclosure:g} um, or the anode could "
                    "touch the cathode collector",
                )
            )
        if self.anode_inset >= self.electrolyte_enclosure:
            found.append(
                (
                    ("anode_inset",),
                    f"anode inset {self.anode_inset:g} um must be below the electrolyte "
                    f"enclosure {self.electrolyte_enclosure:g} um "
                    "(the anode must cover the cathode)",
                )
            )
        if self.tab_width > min(h, self.pad[1]):
            found.append((("tab_width",), "tab wider than the cathode or the pad"))
        return found


class RegionSpec(BaseModel):
    """Where an array goes: a rectangle, a circle or a polygon, centred on the origin."""

    model_config = STRICT

    shape: Literal["rectangle", "circle", "polygon"] = "rectangle"
    size: tuple[PositiveLength, PositiveLength] = Field(
        (500.0, 500.0), description="rectangle [width, height]; circle: [diameter, diameter]"
    )
    points: list[tuple[Length, Length]] = Field(
        default_factory=list, description="polygon vertices (shape: polygon)"
    )


class _ArrayParams(DesignParams):
    """Shared by pillars, holes and trenches: a field of 3D features in a region."""

    required_roles: ClassVar[tuple[str, ...]] = ("etch-mask",)
    # Conformal films over the 3D scaffold, bottom-up: the electrodes overlap in plan.
    stack: ClassVar[tuple[str, ...]] = ("etch-mask", "collector", "anode", "electrolyte", "cathode")
    electrodes: ClassVar[Literal["side-by-side", "stacked"]] = "stacked"

    region: RegionSpec = Field(default_factory=RegionSpec, description="array region")
    window_margin: NonNegativeLength = Field(
        50.0, description="optional collector/electrode/electrolyte windows beyond the region"
    )
    electrode_inset: NonNegativeLength = Field(
        10.0,
        description="anode/cathode windows inside the collector and electrolyte windows",
    )

    def _region_problems(self) -> list[Problem]:
        r = self.region
        if r.shape == "polygon" and len(r.points) < 3:
            return [(("region", "points"), "a polygon region needs at least 3 points")]
        if r.shape == "circle" and r.size[0] != r.size[1]:
            return [(("region", "size"), "a circular region needs [diameter, diameter]")]
        if self.electrode_inset > self.window_margin:
            return [
                (
                    ("electrode_inset",),
                    f"electrode inset {self.electrode_inset:g} um exceeds the window margin "
                    f"{self.window_margin:g} um: the electrode windows would cut into the region",
                )
            ]
        return []


class PillarsParams(_ArrayParams, LatticeSpec):
    """Pillars etched into the substrate: the mask stays on the drawn features.

    ::

        o o o o o     hex lattice, pitch p, features of `size`
         o o o o      (whole features only; clearance from the region edge)
        o o o o o
    """

    kind: Literal["pillars"] = "pillars"

    def problems(self) -> list[Problem]:
        return self._region_problems() + _lattice_problems(self, ())


class HolesParams(_ArrayParams, LatticeSpec):
    """Holes (blind or through) etched into the substrate: the mask opens the features."""

    kind: Literal["holes"] = "holes"
    through: bool = Field(False, description="through-holes (both faces count in estimates)")

    def problems(self) -> list[Problem]:
        return self._region_problems() + _lattice_problems(self, ())


class TrenchesParams(_ArrayParams):
    """Trenches: parallel lines of ``size`` width at ``pitch``, clipped to the region."""

    kind: Literal["trenches"] = "trenches"
    size: PositiveLength = Field(5.0, description="trench width")
    pitch: PositiveLength = Field(10.0, description="trench pitch")
    depth: PositiveLength = Field(50.0, description="etch depth (estimates)")
    direction: Literal["x", "y"] = Field("y", description="direction the trenches run")
    clearance: NonNegativeLength = Field(0.0, description="trench ends inside the region edge")

    def problems(self) -> list[Problem]:
        found = self._region_problems()
        if self.size >= self.pitch:
            found.append(
                (("pitch",), f"pitch {self.pitch:g} um must exceed the width {self.size:g} um")
            )
        return found


class SwissRollParams(DesignParams):
    """Flat layout of a Swiss-roll cell before release (rolls along x toward its anchor).

    Single roll (``twin: false``)::

        pads  tab   anchor |<------------- rolled_length ------------->|
        [A]===========[   ]|  anode collector + anode stripe           |  sacrificial below
                      [   ]|  separator over both stripes              |  the released part
        [C]===========[   ]|  cathode collector + cathode stripe       |  (release_margin
                           <- rolls toward the anchor                     beyond it)

    Twin (``twin: true``): two strips, the cathode roll on the left and the anode roll on the
    right, anchors facing across ``roll_gap``, each rolling toward the gap, pads above.
    Layers bottom-up: sacrificial, swelling, stiff, collector, electrode, separator.
    """

    required_roles: ClassVar[tuple[str, ...]] = (
        "sacrificial",
        "swelling",
        "stiff",
        "collector",
        "cathode",
        "anode",
        "separator",
    )
    # The twin cell's electrolyte is a window between the rolls, not a film of the strip.
    stack: ClassVar[tuple[str, ...]] = required_roles

    kind: Literal["swiss-roll"] = "swiss-roll"
    twin: bool = Field(False, description="anode and cathode on two facing rolls")
    rolled_length: PositiveLength = Field(2000.0, description="released strip length (rolls up)")
    width: PositiveLength = Field(400.0, description="strip width (the tube length)")
    anchor_length: PositiveLength = Field(100.0, description="non-released anchor length")
    release_margin: PositiveLength = Field(
        20.0, description="sacrificial beyond the released swelling layer"
    )
    stiff_inset: NonNegativeLength = Field(5.0, description="stiff layer inside the swelling layer")
    collector_inset: NonNegativeLength = Field(10.0, description="collector inside the stiff layer")
    collector_gap: PositiveLength = Field(
        40.0, description="gap between the two collectors of a single roll"
    )
    electrode_inset: NonNegativeLength = Field(5.0, description="electrode inside its collector")
    separator_enclosure: NonNegativeLength = Field(
        5.0, description="separator beyond the electrodes"
    )
    roll_gap: PositiveLength = Field(60.0, description="twin: gap between the two anchors")
    tab_length: PositiveLength = Field(150.0, description="collector tab from anchor to pad")
    tab_width: PositiveLength = Field(60.0, description="collector tab width")
    pad: tuple[PositiveLength, PositiveLength] = Field(
        (150.0, 150.0), description="contact pad [width, height]"
    )

    def needed_roles(self) -> tuple[str, ...]:
        # A twin cell needs no separator on the rolls: the electrolyte fills the gap between
        # them (drawn on an optional ``electrolyte`` layer).
        if self.twin:
            return tuple(r for r in self.required_roles if r != "separator")
        return self.required_roles

    @property
    def collector_width(self) -> float:
        """Width of each collector stripe across the strip."""
        inner = self.width - 2 * (self.stiff_inset + self.collector_inset)
        return inner if self.twin else (inner - self.collector_gap) / 2

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        electrode = self.collector_width - 2 * self.electrode_inset
        if electrode <= 0:
            found.append(
                (
                    ("width",),
                    f"strip {self.width:g} um too narrow: no electrode stripe is left after "
                    "the insets and the collector gap",
                )
            )
        if self.separator_enclosure > self.electrode_inset + self.collector_inset:
            found.append(
                (
                    ("separator_enclosure",),
                    "the separator must stay on the stiff layer (enclosure <= "
                    "electrode_inset + collector_inset)",
                )
            )
        if self.tab_width > min(self.pad) or self.tab_width > self.collector_width:
            found.append((("tab_width",), "tab wider than its pad or its collector stripe"))
        if self.tab_length <= self.release_margin:
            found.append(
                (
                    ("tab_length",),
                    f"tab length {self.tab_length:g} um must exceed the release margin "
                    f"{self.release_margin:g} um (pads must sit off the sacrificial layer)",
                )
            )
        if self.twin and self.tab_width > self.anchor_length - 2 * self.stiff_inset:
            found.append((("tab_width",), "twin: the tab must fit the anchor length"))
        return found


#: Every design kind and its parameter model, in the order `mbfab designs` lists them.
DESIGN_PARAMS: dict[str, type[DesignParams]] = {
    "interdigital": InterdigitalParams,
    "stacked": StackedParams,
    "pillars": PillarsParams,
    "holes": HolesParams,
    "trenches": TrenchesParams,
    "swiss-roll": SwissRollParams,
}

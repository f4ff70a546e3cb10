"""The recipe language v1: a strict schema, every length in micrometres once validated."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from mbfab.errors import did_you_mean
from mbfab.recipe.catalog import normalise_name, resist_library
from mbfab.recipe.design_params import (
    HolesParams,
    InterdigitalParams,
    PillarsParams,
    StackedParams,
    SwissRollParams,
    TrenchesParams,
)
from mbfab.recipe.estimate_spec import ElectrodeSpec, EstimateSpec
from mbfab.recipe.fields import STRICT, Length, NonNegativeLength, PositiveLength
from mbfab.recipe.layout_spec import MarksSpec, SealSpec, WaferSpec
from mbfab.units import LENGTH_UNITS_UM

__all__ = [
    "FORMAT_VERSION",
    "PROCESSES",
    "ROLES",
    "AnyDesign",
    "LayerSpec",
    "OutputSpec",
    "Recipe",
    "RepeatSpec",
    "RuleSpec",
    "ToolSpec",
    "TravelerSpec",
]

FORMAT_VERSION = 1

Role = Literal[
    "collector",
    "cathode-collector",
    "anode-collector",
    "cathode",
    "anode",
    "electrolyte",
    "separator",
    "sacrificial",
    "swelling",
    "stiff",
    "etch-mask",
    "mold",
    "passivation",
    "seal",
    "other",
]
Process = Literal["lift-off", "etch", "plating", "permanent", "substrate-etch", "mold"]
ROLES: tuple[str, ...] = get_args(Role)
PROCESSES: tuple[str, ...] = get_args(Process)

#: Every design kind's parameters; ``kind`` picks the model.
AnyDesign = Annotated[
    InterdigitalParams
    | StackedParams
    | PillarsParams
    | HolesParams
    | TrenchesParams
    | SwissRollParams,
    Field(discriminator="kind"),
]

_NAME = r"^[A-Za-z][A-Za-z0-9_-]{0,62}$"


class ToolSpec(BaseModel):
    """The exposure tool: what limits resolution and overlay."""

    model_config = STRICT

    kind: Literal["contact", "proximity", "projection", "maskless"] = Field(
        "contact", description="how the image reaches the resist"
    )
    name: str = "mask aligner"
    wavelength: PositiveLength = Field(0.365, description="exposure wavelength (i-line 365 nm)")
    gap: NonNegativeLength = Field(0.0, description="mask-to-resist gap (proximity printing)")
    overlay: PositiveLength = Field(1.0, description="layer-to-layer alignment accuracy")
    na: float | None = Field(None, gt=0, lt=1.5, description="numerical aperture (projection)")
    k1: float = Field(0.6, gt=0, le=2, description="process factor k1 (projection)")
    min_feature: PositiveLength | None = Field(None, description="smallest feature (maskless)")
    reduction: float = Field(
        1.0,
        ge=1,
        le=10,
        description="projection reduction (reticle size : wafer size), e.g. 4 or 5 for a "
        "4x/5x stepper reticle; 1 for contact, proximity and maskless tools",
    )


class TravelerSpec(BaseModel):
    """A layer's changes to its process traveler (checked against the process data)."""

    model_config = STRICT

    pretreatment: list[str] | None = Field(
        None, description="pretreatment names replacing the process default (e.g. o2-plasma)"
    )
    steps: dict[str, dict[str, str | float | bool]] = Field(
        default_factory=dict,
        description="step kind -> parameters to override; `skip: true` drops the step",
    )


class LayerSpec(BaseModel):
    """One mask layer: its GDS number, role in the cell, material and process."""

    model_config = STRICT

    name: str = Field(pattern=_NAME, description="layer and plate name (letters, digits, _ -)")
    gds: tuple[Annotated[int, Field(ge=0, le=32767)], Annotated[int, Field(ge=0, le=32767)]] = (
        Field(description="[layer, datatype], each 0..32767, unique")
    )
    role: Role = Field(description="what the layer is in the cell; designs find layers by role")
    material: str = Field("", description="material name (the materials library resolves it)")
    thickness: PositiveLength = Field(description="deposited or patterned film thickness")
    process: Process = Field(description="how the drawn features are made")
    resist: str = Field(description="a resist of the resist library")
    resist_thickness: PositiveLength | None = Field(
        None, description="resist thickness (default: the resist's typical value)"
    )
    description: str = ""
    traveler: TravelerSpec = Field(default_factory=TravelerSpec)
    align_to: str | None = Field(
        None, description="layer this one is aligned to (default: the first layer)"
    )
    electrode: ElectrodeSpec | None = Field(
        None, description="electrode values for the estimates (cathode and anode layers)"
    )

    @field_validator("resist")
    @classmethod
    def _known_resist(cls, value: str) -> str:
        if normalise_name(value) not in resist_library():
            names = [resist.name for resist in resist_library().values()]
            raise ValueError(f"unknown resist {value!r}{did_you_mean(value, names)}")
        return value


#: How many layers each kind of recipe rule takes (the rule engine's own table agrees; a
#: test keeps them in step).
RULE_KIND_LAYERS = {"width": 1, "space": 1, "separation": 2, "enclosure": 2, "area": 1}
RuleKind = Literal["width", "space", "separation", "enclosure", "area"]


class RuleSpec(BaseModel):
    """A rule the recipe adds or overrides (rule IDs are stable across releases)."""

    model_config = STRICT

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(\.[A-Z0-9]+)+$")
    kind: RuleKind | None = Field(
        None, description="a new rule's kind (an override of a default rule leaves it out)"
    )
    layers: list[str] = Field(
        default_factory=list,
        validate_default=True,
        description="a new rule's layers by name: one for width, space and area; two for "
        "separation and enclosure (enclosure: the outer layer first, then the inner one)",
    )
    value: NonNegativeLength | None = None
    severity: Literal["error", "warning"] = "error"
    enabled: bool = True
    description: str = ""
    metric: Literal["euclidian", "square", "projection"] | None = Field(
        None,
        description="width/space/separation/enclosure: how distance is measured (KLayout's "
        "metrics); default: projection for width and space (faceted curves are measured "
        "across, not at chords), euclidian for separation and enclosure",
    )

    @field_validator("layers")
    @classmethod
    def _layer_count(cls, layers: list[str], info: ValidationInfo) -> list[str]:
        kind = info.data.get("kind")
        if kind is not None and len(layers) != RULE_KIND_LAYERS[kind]:
            wanted = RULE_KIND_LAYERS[kind]
            raise ValueError(
                f"a {kind} rule takes {wanted} layer{'s' if wanted > 1 else ''}, got {len(layers)}"
            )
        return layers


class RepeatSpec(BaseModel):
    """Step-and-repeat of the die over the plate (a mask for a contact or proximity aligner
    carrying many dies, or a reticle with several)."""

    model_config = STRICT

    pitch: tuple[PositiveLength, PositiveLength] | None = Field(
        None,
        description="die pitch [x, y] on the wafer (default: the die's field, its bounding "
        "box plus output.field_margin on each side)",
    )
    count: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]] | None = Field(
        None, description="dies [columns, rows] (default: as many as fit the usable plate area)"
    )


class OutputSpec(BaseModel):
    """How plates are written."""

    model_config = STRICT

    tone: Literal["auto", "complement", "declare"] = Field(
        "auto",
        description="auto: complement where the tone needs it unless the layer is an array "
        "(then declare the polygon tone); complement: always; declare: never",
    )
    field_margin: NonNegativeLength = Field(
        500.0, description="mask field beyond the device bounding box"
    )
    grid: PositiveLength = Field(0.001, description="mask address grid")
    max_points: int = Field(8190, ge=4, le=8190, description="vertex limit per polygon")
    max_shapes: int = Field(
        5_000_000,
        ge=1,
        description="refuse a design of more placed shapes than this (every array instance "
        "counts; about 0.4 kB and 4.5 us each), estimated before anything is drawn",
    )
    max_dies: int = Field(
        100_000, ge=1, description="refuse a wafer of more dies (or sweep variants) than this"
    )
    max_pairs: int = Field(
        10_000_000,
        ge=1,
        description="refuse rule checks that would compare more pairs of array features "
        "than this (features within the overlay or a clearance rule of each other)",
    )
    combined: bool = Field(True, description="also write <name>.gds with every layer")
    revision: str = Field("A", pattern=r"^[A-Za-z0-9._-]{1,16}$")
    target: Literal["mask", "maskless"] | None = Field(
        None, description="mask shop or maskless writer (default: from tool.kind)"
    )
    format: Literal["gds", "oasis"] = "gds"
    bias: dict[str, Length] = Field(
        default_factory=dict, description="layer -> CD bias (line width change; each edge half)"
    )
    mirror: bool = Field(False, description="mirror the data here instead of at the mask shop")
    reading: Literal["right-reading-chrome-down", "right-reading-chrome-up"] = Field(
        "right-reading-chrome-down", description="reading sense of the finished mask"
    )
    plate_size: Literal["3in", "4in", "5in", "6in", "7in", "9in"] = "5in"
    plate_material: Literal["soda-lime", "quartz"] = "soda-lime"
    repeat: RepeatSpec | None = Field(
        None, description="step the die over the plate's usable area (null: one die)"
    )

    @field_validator("grid")
    @classmethod
    def _grid_on_dbu(cls, value: float) -> float:
        steps = value / 0.001
        if abs(steps - round(steps)) > 1e-6:
            raise ValueError(f"grid {value:g} um must be a whole number of 1 nm database units")
        return value


class Recipe(BaseModel):
    """A whole recipe."""

    model_config = STRICT

    mbfab: Literal[1] = Field(description="recipe format version")
    name: str = Field(pattern=_NAME, description="recipe name; names the output folder")
    description: str = Field("", description="free text, copied to the report")
    units: str = Field("um", description="unit of bare numbers: nm, um or mm")
    tool: ToolSpec = Field(default_factory=ToolSpec, description="the exposure tool")
    layers: list[LayerSpec] = Field(min_length=1, description="mask layers in process order")
    design: AnyDesign = Field(description="the parametric design; `kind` picks the generator")
    rules: list[RuleSpec] = Field(
        default_factory=list, description="rules to add, change or disable, by ID"
    )
    marks: MarksSpec | None = Field(default_factory=MarksSpec, description="null: no marks")
    seal: SealSpec | None = Field(None, description="encapsulation ring around the device")
    wafer: WaferSpec | None = Field(None, description="step the device across a wafer")
    output: OutputSpec = Field(default_factory=OutputSpec, description="how plates are written")
    estimate: EstimateSpec = Field(
        default_factory=EstimateSpec, description="inputs of the capacity/energy estimates"
    )

    @field_validator("units")
    @classmethod
    def _known_unit(cls, value: str) -> str:
        if value not in LENGTH_UNITS_UM:
            raise ValueError(f"unknown length unit {value!r}; use one of nm, um, mm")
        return value

    def layer(self, name: str) -> LayerSpec:
        """The layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def layers_with_role(self, *roles: str) -> list[LayerSpec]:
        """Layers playing any of ``roles``, in recipe order."""
        return [layer for layer in self.layers if layer.role in roles]

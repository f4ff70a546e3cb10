"""What a recipe may say about estimates: per-layer electrode values and an ``estimate:`` block.

Everything is optional: without it mbfab takes the layer's ``material`` from the materials
library (``mbfab/data/materials.yaml``), a dense film (porosity 0, active fraction 1), the
couple voltage of the library, and the electrode field as the footprint.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mbfab.recipe.fields import STRICT, NonNegativeLength, PositiveLength

__all__ = ["ElectrodeSpec", "EstimateSpec", "FootprintBasis", "RollSpec"]

FootprintBasis = Literal["electrodes", "region", "device", "die", "package", "rolled"]


class ElectrodeSpec(BaseModel):
    """Per-layer electrode values (``layers[i].electrode``); each overrides the library."""

    model_config = STRICT

    material: str | None = Field(
        None, description="materials-library name when the layer's material text differs"
    )
    role: Literal["cathode", "anode"] | None = Field(
        None,
        description="electrode role of a layer whose own role is not one, e.g. the etch-mask "
        "layer of a 3D array whose etched Si posts are the anode (fill: scaffold)",
    )
    capacity_basis: Literal["practical", "theoretical", "thin-film"] = Field(
        "practical",
        description="which capacity of the library to use: practical or theoretical mAh/g, "
        "or the measured thin-film uAh cm-2 um-1 of deposited films",
    )
    specific_capacity_mah_g: float | None = Field(None, gt=0, le=5000, description="mAh/g")
    density_g_cm3: float | None = Field(None, gt=0, le=25, description="g/cm3 of the dense solid")
    porosity: float = Field(0.0, ge=0, lt=1, description="pore volume fraction of the film")
    active_fraction: float = Field(
        1.0, gt=0, le=1, description="active material share of the solid (binder, carbon excluded)"
    )
    fill: Literal["auto", "film", "conformal", "filled", "scaffold"] = Field(
        "auto",
        description="3D designs: planar film on the footprint, conformal film on the 3D "
        "surface, filling the space the 3D features leave open, or the etched scaffold "
        "itself (e.g. Si posts as the anode); auto: conformal",
    )


class RollSpec(BaseModel):
    """Swiss-roll mechanics: layer moduli and strains, or a measured roll diameter."""

    model_config = STRICT

    measured_diameter: PositiveLength | None = Field(
        None,
        description="measured outer diameter of the rolled tube (turns follow from the strip "
        "length); without it the diameter comes from the mechanics",
    )
    moduli_gpa: dict[str, float] = Field(
        default_factory=dict, description="Young's modulus per layer name, GPa"
    )
    strains: dict[str, float] = Field(
        default_factory=dict,
        description="free (mismatch or swelling) strain per layer name, e.g. 0.01 = 1 %",
    )
    mismatch_strain: float | None = Field(
        None, description="bilayer mismatch strain (top minus bottom) when strains are not given"
    )
    inner_diameter: PositiveLength | None = Field(
        None, description="first-turn diameter (default: the natural roll diameter)"
    )


class EstimateSpec(BaseModel):
    """The recipe's ``estimate:`` block."""

    model_config = STRICT

    couple: str | None = Field(
        None, description="'cathode||anode' library couple (default: from the layer materials)"
    )
    voltage_v: float | None = Field(None, gt=0, le=6, description="average cell voltage, V")
    footprint: FootprintBasis | None = Field(
        None,
        description="area per-area figures use: electrodes (bounding box of the electrode "
        "layers), region (3D arrays: the lattice region), device (everything drawn, pads "
        "included), die, package (device + seal ring) or rolled (Swiss rolls after rolling); "
        "default: rolled for Swiss rolls, else electrodes, else region, else device",
    )
    die: tuple[PositiveLength, PositiveLength] | None = Field(None, description="die [w, h]")
    seal_ring: NonNegativeLength = Field(
        0.0, description="package seal-ring width around the device"
    )
    roll: RollSpec | None = None

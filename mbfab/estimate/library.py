"""The materials library (``mbfab/data/materials.yaml``): materials, couples, applications."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from mbfab.recipe.catalog import load_data_file, normalise_name

__all__ = [
    "Application",
    "Couple",
    "Library",
    "Material",
    "library",
]


class Material(BaseModel):
    """One electrode material."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    aliases: tuple[str, ...] = ()
    reaction: str
    theoretical_mah_g: float = Field(gt=0)
    practical_mah_g: float = Field(gt=0)
    density_g_cm3: float = Field(gt=0)
    potential_v: float | None = None
    reference: str
    source: str
    #: measured volumetric areal capacity of deposited thin films (uAh cm-2 um-1), when read
    thin_film_q_vol_uah_cm2_um: float | None = Field(None, gt=0)
    thin_film_source: str | None = None


class Couple(BaseModel):
    """A full cell's average discharge voltage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cathode: str
    anode: str
    voltage_v: float = Field(gt=0)
    source: str

    @property
    def name(self) -> str:
        return f"{self.cathode}||{self.anode}"


class Application(BaseModel):
    """An application's energy need (seed Table 2) as a range in uWh."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: str
    level: str
    min_uwh: float = Field(gt=0)
    max_uwh: float = Field(gt=0)
    source: str


@dataclass(frozen=True)
class Library:
    """Lookups by any spelling of a name."""

    materials: dict[str, Material]
    couples: tuple[Couple, ...]
    applications: tuple[Application, ...]

    def material(self, name: str) -> Material | None:
        """The material called ``name`` or one of its aliases (case and dashes ignored)."""
        return self.materials.get(normalise_name(name))

    def material_names(self) -> list[str]:
        return sorted({m.name for m in self.materials.values()})

    def couple(self, cathode: str, anode: str) -> Couple | None:
        """The couple of two library materials (by their library names)."""
        for couple in self.couples:
            if couple.cathode == cathode and couple.anode == anode:
                return couple
        return None

    def couple_named(self, name: str) -> Couple | None:
        """A couple written ``cathode||anode`` (any material spelling)."""
        if "||" not in name:
            return None
        cathode_name, anode_name = (part.strip() for part in name.split("||", 1))
        cathode, anode = self.material(cathode_name), self.material(anode_name)
        if cathode is None or anode is None:
            return None
        return self.couple(cathode.name, anode.name)


@cache
def library() -> Library:
    """The shipped library, validated once."""
    table = load_data_file("materials.yaml")
    materials: dict[str, Material] = {}
    for name, entry in sorted(table["materials"].items()):
        material = Material(name=name, **entry)
        for key in (name, *material.aliases):
            normalised = normalise_name(key)
            if normalised in materials:
                raise ValueError(f"materials.yaml: {key!r} names two materials")
            materials[normalised] = material
    couples = tuple(Couple(**entry) for entry in table["couples"])
    known = {m.name for m in materials.values()}
    for couple in couples:
        if couple.cathode not in known or couple.anode not in known:
            raise ValueError(f"materials.yaml: couple {couple.name} names an unknown material")
    applications = tuple(Application(**entry) for entry in table["applications"])
    return Library(materials, couples, applications)

"""Design generators, one module per kind, and the explicit registry."""

from mbfab.designs.base import Device, RoleLayers
from mbfab.designs.registry import DESIGNS, DesignKind, build_device

__all__ = ["DESIGNS", "DesignKind", "Device", "RoleLayers", "build_device"]

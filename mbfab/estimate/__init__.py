"""Estimate stage: active-area ratio, 3D area gain, capacity, energy, Swiss-roll size, fit."""

from mbfab.estimate.run import ESTIMATES_SCHEMA, KIND_MODELS, Geometry, estimate_device, headline

__all__ = ["ESTIMATES_SCHEMA", "KIND_MODELS", "Geometry", "estimate_device", "headline"]

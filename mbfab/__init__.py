"""mbfab: mask-layout and process-recipe compiler for photolithographic microbatteries."""

__all__ = ["__version__"]

__version__ = "0.1.0"

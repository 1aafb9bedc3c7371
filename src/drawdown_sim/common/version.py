"""The package's version (here, below every layer, so that provenance can record it)."""

__version__ = "0.1.0"

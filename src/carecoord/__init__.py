"""CareCoord: care coordination and care management platform."""

__version__ = "0.1.0"

"""allied: coordinate, simulate and monitor what a coalition gives a partner at war."""

__version__ = "0.1.0"

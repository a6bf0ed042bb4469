"""The ``allied`` command line (Typer)."""

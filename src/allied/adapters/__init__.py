"""Adapters: the edges that talk to databases, files and solvers."""

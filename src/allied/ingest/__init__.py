"""Importers: public data and the built-in reference dataset into domain objects."""

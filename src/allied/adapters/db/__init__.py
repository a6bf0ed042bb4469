"""SQLAlchemy storage: tables mapped onto the pure domain from outside it."""

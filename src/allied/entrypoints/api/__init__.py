"""The HTTP API of the clearinghouse: ``create_app(settings)`` builds the FastAPI app."""

from allied.entrypoints.api.app import create_app
from allied.entrypoints.api.context import ApiOptions

__all__ = ["ApiOptions", "create_app"]

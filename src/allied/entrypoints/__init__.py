"""Entry points: the CLI, the HTTP API and the web dashboard, thin over the service layer."""

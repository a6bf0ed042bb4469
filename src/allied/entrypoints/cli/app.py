"""The ``allied`` Typer application: thin commands over the service layer."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from allied.entrypoints.cli import allocate, core, governance
from allied.entrypoints.cli import lab as lab_cli
from allied.entrypoints.cli import lifecycle as lifecycle_cli
from allied.entrypoints.cli import monitor as monitor_cli
from allied.entrypoints.cli import reports as reports_cli
from allied.entrypoints.cli import serve as serve_cli
from allied.entrypoints.cli import todo as todo_cli


class _AlliedGroup(TyperGroup):
    """The root command: its help ends with the database the commands would use (read
    from the environment when the help is shown, not at import)."""

    def invoke(self, ctx: Any) -> Any:
        from allied.entrypoints.cli.common import reset_table_options

        reset_table_options()  # each command starts narrow; its own --wide may widen it
        return super().invoke(ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from allied.entrypoints.cli.common import describe_database

        self.epilog = f"Database: {describe_database()}"
        super().format_help(ctx, formatter)


app = typer.Typer(
    name="allied",
    cls=_AlliedGroup,
    help="Coordinate what a coalition gives a partner at war, under the alliance's rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

core.register(app)
governance.register(app)
# Feature modules register their commands here, one line each.
allocate.register(app)
lab_cli.register(app)
monitor_cli.register(app)
serve_cli.register(app)
reports_cli.register(app)
lifecycle_cli.register(app)
todo_cli.register(app)


def main() -> None:
    app()

"""The command line: a root group, lazily loaded subcommands, and the one error handler.

Each subcommand lives in ``reconciler/commands/<name>.py`` and is a thin click layer over the
library. Commands return an exit code (or None for 0); errors are raised as ``ReconcilerError``
and turned into one line on stderr and an exit code here, and nowhere else.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, ClassVar

import click

from reconciler import __version__
from reconciler.errors import (
    EXIT_CODES_HELP,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    ReconcilerError,
)
from reconciler.text import printable

# name -> "module:attribute", imported only when the command runs (keeps --help fast).
COMMANDS: dict[str, str] = {
    # budgets as code
    "validate": "reconciler.commands.validate:validate",
    # the sandbox ledger
    "sandbox": "reconciler.commands.sandbox:sandbox",
    # plan and apply
    "plan": "reconciler.commands.plan:plan",
    "show": "reconciler.commands.show:show",
    "apply": "reconciler.commands.apply:apply",
    # usage and envelopes from spend
    "usage": "reconciler.commands.usage:usage",
    "suggest": "reconciler.commands.suggest:suggest_command",
    "whatif": "reconciler.commands.whatif:whatif",
    # the gateway mapping and onboarding
    "gateway": "reconciler.commands.gateway:gateway",
    "import": "reconciler.commands.import_:import_",
    "codeowners": "reconciler.commands.codeowners:codeowners",
    # the audit trail
    "audit": "reconciler.commands.audit:audit",
    "blame": "reconciler.commands.blame:blame",
    "drift": "reconciler.commands.drift:drift",
}


class LazyGroup(click.Group):
    """A click group whose ``lazy`` commands ("module:attribute") are imported only when run."""

    lazy: ClassVar[dict[str, str]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


class ReconcilerGroup(LazyGroup):
    """The root group: the COMMANDS table, and every error mapped to one exit code."""

    lazy = COMMANDS

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = run(self, args, prog_name, complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code


def run(
    group: click.Group,
    args: Sequence[str] | None,
    prog_name: str | None,
    complete_var: str | None,
    **extra: Any,
) -> int:
    """Invoke ``group`` and turn its outcome into an exit code (DESIGN §7)."""
    try:
        result = click.Group.main(
            group, args, prog_name, complete_var, standalone_mode=False, **extra
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if exc.exit_code == 2 else exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except ReconcilerError as exc:
        click.echo(f"error: {printable(str(exc))}", err=True)
        return exc.exit_code
    except Exception as exc:
        log = write_crash_log(exc)
        click.echo(
            f"internal error: {type(exc).__name__}: {printable(str(exc))} (traceback in {log}); "
            "please report it with that file",
            err=True,
        )
        return EXIT_INTERNAL
    return result if isinstance(result, int) else 0


def write_crash_log(exc: BaseException) -> str:
    # Imported here: only a crash needs them, and every command starts faster without them.
    import tempfile
    import traceback
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    fd, path = tempfile.mkstemp(prefix=f"reconciler-crash-{stamp}-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"reconciler {__version__}\nargv: {sys.argv!r}\n\n")
        handle.write("".join(traceback.format_exception(exc)))
    return path


@click.group(
    cls=ReconcilerGroup,
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="reconciler")
@click.option("--debug", is_flag=True, help="Log debug detail to stderr (never the token).")
def cli(debug: bool) -> None:
    """Budgets as code for Keeptrusts team wallets.

    Keep team envelopes and consumer-group mappings as YAML in git, plan the allocate and
    reclaim calls that bring the ledger to them, and apply them with the commit SHA in every
    ledger note.

    \b
    Example:
      reconciler validate budgets/
      reconciler plan budgets/ --ledger sqlite:///.reconciler/sandbox.db
    """
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main() -> None:
    cli.main(prog_name="reconciler")

"""``reconciler sandbox``: create, move money in, inspect and check the embedded sandbox ledger.

Thin click commands over ``SqliteLedger``. ``credit``, ``allocate`` and ``reclaim`` stand in for
the Keeptrusts console, so their entries carry the actor ``console``. ``serve`` lives in
``sandbox_serve.py`` and is loaded only when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import click

from reconciler.cli import LazyGroup
from reconciler.clock import clock_from_env
from reconciler.errors import (
    EXIT_ERROR,
    EXIT_OK,
    LedgerConfigError,
    LedgerNotFound,
    exit_codes_help,
)
from reconciler.ledger import sqlite_path
from reconciler.ledger.base import Transaction
from reconciler.money import (
    AmountError,
    format_usd,
    is_exponent_notation,
    parse_amount,
    to_micros,
)
from reconciler.render import wallets_json
from reconciler.render.terminal import color_for_stdout
from reconciler.render.wallets import transactions_table, wallets_table
from reconciler.sandbox.ledger import SqliteLedger

CONSOLE_ACTOR = "console"
EPILOG = exit_codes_help(
    (0, 1, 64, 70),
    {
        EXIT_OK: "success",
        EXIT_ERROR: "error: no such database, a refused movement or a ledger error",
    },
)
CHECK_EPILOG = exit_codes_help(
    (0, 1, 64, 70), {EXIT_OK: "every invariant holds", EXIT_ERROR: "a violation (each is listed)"}
)


class SandboxGroup(LazyGroup):
    """The ``sandbox`` group; its ``lazy`` commands are imported only when used."""

    lazy: ClassVar[dict[str, str]] = {
        "serve": "reconciler.commands.sandbox_serve:serve",
        "traffic": "reconciler.commands.sandbox_traffic:traffic_command",
    }


class CentsAmount(click.ParamType):  # type: ignore[type-arg]
    """A positive amount in whole cents (``2500``, ``2500.50``), as integer micro-USD."""

    name = "AMOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        if is_exponent_notation(str(value)):  # the same rule as budgets files
            self.fail(
                f"{value} is not a plain decimal number (exponent notation); write amounts as "
                "plain decimals, e.g. 2500.00",
                param,
                ctx,
            )
        try:
            amount = parse_amount(str(value), places=2)
        except AmountError as exc:
            self.fail(f"{exc}; amounts here are whole cents, e.g. 2500.00", param, ctx)
        if amount <= 0:
            self.fail(f"{value} is not more than zero", param, ctx)
        return to_micros(amount)


class DbPath(click.Path):
    """A ``--db`` file path. A ``sqlite:///`` URL (the ``--ledger`` form) is refused, naming
    the path it stands for, instead of becoming a directory called ``sqlite:``."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if "://" in text or text.startswith("sqlite:"):
            meant = ""
            if text.startswith("sqlite:///"):
                try:
                    meant = f"; for {text} pass --db {sqlite_path(text, Path())}"
                except LedgerConfigError:
                    meant = ""
            self.fail(f"--db takes a file path, not a URL (URLs go to --ledger){meant}", param, ctx)
        return super().convert(value, param, ctx)


db_option = click.option(
    "--db",
    "db",
    required=True,
    metavar="PATH",
    type=DbPath(dir_okay=False, path_type=Path),
    help="The sandbox ledger file (SQLite).",
)
note_option = click.option("--note", default="", help="One-line note stored with the movement.")
format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: aligned table; json: versioned document with decimal-string amounts.",
)


@click.group(cls=SandboxGroup)
def sandbox() -> None:
    """The embedded sandbox ledger: a local stand-in for the Keeptrusts wallet service.

    \b
    Example:
      reconciler sandbox init --db .reconciler/sandbox.db --org org_acme --credit 50000
      reconciler sandbox allocate --db .reconciler/sandbox.db --team team_eng 12000
      reconciler sandbox show --db .reconciler/sandbox.db
    """


@sandbox.command(epilog=EPILOG)
@db_option
@click.option("--org", "org_id", required=True, metavar="ID", help="Organization id.")
@click.option("--credit", "amount", type=CentsAmount(), help="Credit the new org wallet.")
def init(db: Path, org_id: str, amount: int | None) -> None:
    """Create a sandbox ledger with its organization wallet.

    The organization wallet starts at zero, or at --credit. Running it again on the same
    file for the same organization changes nothing. An existing empty file counts as no
    ledger yet: it is made into one (and credited).

    \b
    Example:
      reconciler sandbox init --db .reconciler/sandbox.db --org org_acme --credit 50000.00
    """
    existed = db.exists() and db.stat().st_size > 0  # an empty file (`touch`) is no ledger yet
    with SqliteLedger.create(db, org_id, actor=CONSOLE_ACTOR, clock=clock_from_env()) as ledger:
        if existed:
            if amount is not None:
                click.echo(
                    "warning: the ledger already exists, --credit ignored; use "
                    "`reconciler sandbox credit`",
                    err=True,
                )
        elif amount is not None:
            ledger.credit(amount, note="initial credit")
        balance = format_usd(ledger.organization_wallet().balance)
    verb = "sandbox ledger already exists at" if existed else "created sandbox ledger"
    click.echo(f"{verb} {db} for {org_id}: organization wallet balance {balance}")


@sandbox.command(epilog=EPILOG)
@db_option
@note_option
@click.argument("amount", type=CentsAmount())
def credit(db: Path, note: str, amount: int) -> None:
    """Add credits to the organization wallet.

    The console's manual top-up; the entry's actor is "console".

    \b
    Example:
      reconciler sandbox credit --db .reconciler/sandbox.db 10000 --note "Q4 top-up"
    """
    with SqliteLedger(db, actor=CONSOLE_ACTOR, clock=clock_from_env()) as ledger:
        entry = ledger.credit(amount, note=note)
    click.echo(
        f"credited {format_usd(amount)} to the organization wallet: balance "
        f"{format_usd(entry.balance_after)} ({entry.id})"
    )


@sandbox.command(epilog=EPILOG)
@db_option
@click.option("--team", "team_id", required=True, metavar="ID", help="Team to fund.")
@note_option
@click.argument("amount", type=CentsAmount())
def allocate(db: Path, team_id: str, note: str, amount: int) -> None:
    """Move credits from the organization wallet to a team.

    The team wallet is made on first use. Refused, changing nothing, when the organization
    wallet's available balance is short.

    \b
    Example:
      reconciler sandbox allocate --db .reconciler/sandbox.db --team team_eng 2500 --note hi
    """
    with SqliteLedger(db, actor=CONSOLE_ACTOR, clock=clock_from_env()) as ledger:
        entry = ledger.allocate(team_id, amount, note=note)
        click.echo(_moved("allocated", "to", team_id, entry, ledger))


@sandbox.command(epilog=EPILOG)
@db_option
@click.option("--team", "team_id", required=True, metavar="ID", help="Team to take from.")
@note_option
@click.argument("amount", type=CentsAmount())
def reclaim(db: Path, team_id: str, note: str, amount: int) -> None:
    """Move unused credits from a team back to the organization.

    At most the team's available balance (balance - reserved); reserved funds stay.

    \b
    Example:
      reconciler sandbox reclaim --db .reconciler/sandbox.db --team team_eng 500
    """
    with SqliteLedger(db, actor=CONSOLE_ACTOR, clock=clock_from_env()) as ledger:
        entry = ledger.reclaim(team_id, amount, note=note)
        click.echo(_moved("reclaimed", "from", team_id, entry, ledger))


@sandbox.command(epilog=EPILOG)
@db_option
@format_option
def show(db: Path, output_format: str) -> None:
    """List every wallet with its balances and status.

    Columns: scope, owner, balance, reserved, available, total allocated, total spent,
    status. Status is Depleted when available <= 0, Low when available is under 10% of the
    wallet's funding (total allocated; credits for the organization wallet), else Healthy.

    \b
    Example:
      reconciler sandbox show --db .reconciler/sandbox.db --format json
    """
    with SqliteLedger(db, clock=clock_from_env()) as ledger:
        wallets = ledger.list_wallets()
    if output_format == "json":
        click.echo(wallets_json.dumps(wallets_json.wallets_document(wallets)))
    else:
        click.echo(wallets_table(wallets, color=color_for_stdout()), nl=False)


@sandbox.command(epilog=EPILOG)
@db_option
@click.option("--team", "team_id", metavar="ID", help="Only this team's wallet.")
@format_option
def transactions(db: Path, team_id: str | None, output_format: str) -> None:
    """List ledger entries, oldest first.

    Each entry: id, time, wallet scope and owner, type, signed amount, balance after,
    actor and note (for gateway holds, the request id).

    \b
    Example:
      reconciler sandbox transactions --db .reconciler/sandbox.db --team team_eng
    """
    with SqliteLedger(db, clock=clock_from_env()) as ledger:
        if team_id is None:
            entries = ledger.all_transactions()
        else:
            wallet = ledger.team_wallet(team_id)
            if wallet is None:
                raise LedgerNotFound(f"team {team_id} has no wallet in {db}")
            entries = list(ledger.transactions(wallet.id))
    if output_format == "json":
        click.echo(wallets_json.dumps(wallets_json.transactions_document(entries)))
    else:
        click.echo(transactions_table(entries, color=color_for_stdout()), nl=False)


@sandbox.command(epilog=CHECK_EPILOG)
@db_option
def check(db: Path) -> int:
    """Verify the ledger's invariants (exit 1 on any violation).

    Lists every violation. Checks conservation (credits = balances + settled spend), each
    wallet's balance, reserved and totals against its entries, open holds, paired
    allocation entries, non-negative available, and that entries are still append-only.

    \b
    Example:
      reconciler sandbox check --db .reconciler/sandbox.db
    """
    with SqliteLedger(db, clock=clock_from_env()) as ledger:
        violations = ledger.check()
        entries, wallets = ledger.entry_count(), len(ledger.list_wallets())
    if violations:
        for violation in violations:
            click.echo(f"violation: {violation}")
        click.echo(f"error: ledger check found {len(violations)} violation(s)", err=True)
        return 1
    click.echo(f"ledger OK: {entries} entries, {wallets} wallets, invariants hold")
    return 0


def _moved(verb: str, preposition: str, team_id: str, entry: Transaction, ledger: Any) -> str:
    org = ledger.organization_wallet()
    return (
        f"{verb} {format_usd(abs(entry.amount))} {preposition} {team_id}: team balance "
        f"{format_usd(entry.balance_after)}, organization available "
        f"{format_usd(org.available)} ({entry.id})"
    )

"""``reconciler sandbox traffic``: simulated gateway requests through the wallet cascade."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from reconciler.clock import clock_from_env
from reconciler.commands.sandbox import db_option
from reconciler.errors import LedgerConfigError, UsageError
from reconciler.money import format_usd
from reconciler.periods import PeriodKind, period_at
from reconciler.sandbox import traffic
from reconciler.sandbox.ledger import SqliteLedger
from reconciler.workflow import load_budgets


@click.command()
@db_option
@click.argument(
    "budgets_dir", metavar="[DIR]", required=False, type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--requests", "count", required=True, type=click.IntRange(1, 1_000_000), metavar="N")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same traffic.")
@click.option(
    "--days",
    default=14,
    show_default=True,
    type=click.IntRange(1, 366),
    help="Spread requests over the past D days of the current period.",
)
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker threads sending requests to the same ledger at once.",
)
def traffic_command(
    db: Path, budgets_dir: Path | None, count: int, seed: int, days: int, concurrency: int
) -> None:
    """Simulate gateway spend: reserve each request's estimate through the cascade, settle it.

    Consumer groups, the team each maps to and wallet enforcement come from the budgets in DIR
    (written into the ledger's gateway configuration) or, without DIR, from the ledger's own.
    Requests are spread over the past D days of the current period, with weekday and
    working-hour peaks and a few heavy groups. Most settle; some fail and release their hold,
    a few time out and expire; a request that no wallet covers is a 402 and a cost ticket.

    \b
    Example:
      reconciler sandbox traffic --db .reconciler/sandbox.db budgets --requests 10000 --seed 7
    """
    clock = clock_from_env()
    now = clock()
    kind = PeriodKind.MONTHLY
    mapping: dict[str, str] | None = None
    if budgets_dir is not None:
        desired, _warnings = load_budgets(budgets_dir)
        kind = desired.organization.period
        if desired.gateway is None:
            raise UsageError(
                f"{budgets_dir} has no GatewayConfig document: add consumer_groups with a "
                "wallet_team_id each, so requests can be attributed"
            )
        mapping = {g.id: g.wallet_team_id for g in desired.gateway.consumer_groups}
    with SqliteLedger(db, clock=clock) as ledger:
        if budgets_dir is not None and mapping is not None:
            if ledger.org_id != desired.organization.id:
                raise LedgerConfigError(
                    f"{db} is organization {ledger.org_id}'s, but the budgets are for "
                    f"{desired.organization.id}: pass the matching --db"
                )
            assert desired.gateway is not None
            ledger.configure_gateway(mapping, desired.gateway.wallet_enforcement)
        else:
            mapping, _enforced = ledger.gateway_config()
    if not mapping:
        raise UsageError(
            f"{db} has no consumer groups to send traffic from: pass the budgets DIR "
            "(its GatewayConfig is written into the ledger)"
        )
    period = period_at(kind, now)
    start = max(period.start, now - timedelta(days=days))
    if start >= now:
        raise UsageError(
            f"no time of period {period.id} has passed yet at {now:%Y-%m-%dT%H:%M:%SZ}: "
            "simulate traffic later in the period"
        )
    requests = traffic.simulate(list(mapping), requests=count, seed=seed, start=start, end=now)
    result = traffic.run(str(db), requests, now=now, concurrency=concurrency)
    click.echo(
        f"simulated {result.requests:,} requests from {start:%Y-%m-%d} to {now:%Y-%m-%d} "
        f"(seed {seed}): {result.settled:,} settled, {result.failed:,} failed (hold released), "
        f"{result.timed_out:,} timed out (hold expires), {result.cost_tickets:,} cost tickets "
        f"(402); spent {format_usd(result.spent)}"
    )

"""``reconciler apply``: make the planned movements, with the commit SHA in every ledger note."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from reconciler import executor, failpoints, notes, workflow
from reconciler.clock import Clock, clock_from_env
from reconciler.commands import console
from reconciler.commands.options import ledger_options
from reconciler.errors import EXIT_CODES_HELP, EXIT_ERROR, EXIT_OK, ReconcilerError, UsageError
from reconciler.ledger.base import Ledger
from reconciler.planning import staleness
from reconciler.planning.types import Plan
from reconciler.render.apply import step_line, summary
from reconciler.render.plan import render_text
from reconciler.render.terminal import color_for_stdout
from reconciler.workflow import (
    check_result_path,
    check_same_organization,
    check_tree,
    verdict,
    write_result,
)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument(
    "target",
    metavar="[DIR | PLANFILE]",
    required=False,
    default="budgets",
    type=click.Path(path_type=Path),
)
@ledger_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="Apply although the budgets have uncommitted changes (notes then say dirty).",
)
@click.option(
    "--override-guards",
    "override_reason",
    metavar="REASON",
    help="Apply past a guard; REASON is written into every ledger note. With a PLANFILE made "
    "with --override-guards, give the same REASON again.",
)
@click.option(
    "--result",
    "result_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result document (JSON: every movement applied, skipped, failed or not "
    "attempted) to FILE, also after a partial apply.",
)
@click.option(
    "--budgets",
    "budgets_dir",
    metavar="DIR",
    default="budgets",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="With a PLANFILE: the budgets directory the plan was made from.",
)
def apply(
    target: Path,
    ledger_url: str | None,
    insecure: bool,
    auto_approve: bool,
    allow_dirty: bool,
    override_reason: str | None,
    budgets_dir: Path,
    result_file: Path | None,
) -> int:
    """Apply the budgets in DIR (plan, confirm, move), or a plan saved with `plan --out`.

    Refuses uncommitted budgets (unless --allow-dirty), a repository with no commit and a shallow
    clone. A saved plan is applied exactly or not at all: it is planned afresh against its own
    ledger and refused when stale (its period ended, HEAD moved, a team it touches had
    allocations made since) or edited (it states what the budgets and the ledger do not give).
    Movements already in the ledger are skipped, so re-running an interrupted or partial apply
    resumes it. Without --auto-approve the plan is shown and you type `yes`. After the run the
    plan is made again and must be empty.

    \b
    Example:
      reconciler apply budgets/
      reconciler apply budgets/ --auto-approve
      reconciler plan --out plan.json && reconciler apply plan.json
      reconciler apply budgets/ --auto-approve --result apply-result.json
    """
    clock = clock_from_env()
    if result_file is not None:
        check_result_path(result_file)
    if override_reason is not None:
        notes.check_override_reason(override_reason)
    if target.suffix == ".json" and not target.exists():
        raise UsageError(f"no such plan file: {target} (make one with `reconciler plan --out`)")
    if target.is_file():
        saved = workflow.read_plan(target)
        staleness.check_self_consistent(saved)
        budgets = workflow.locate(budgets_dir)
        console.warn(budgets.warnings)
        check_tree(budgets, allow_dirty=allow_dirty, plan=saved)
        check_same_organization(saved, budgets)
        where = workflow.plan_ledger(ledger_url, saved, budgets)
        with workflow.opened(where, insecure=insecure, clock=clock) as ledger:
            checked = workflow.checked_saved_plan(
                saved, budgets, ledger, clock=clock, override_reason=override_reason
            )
            return _run(
                checked, budgets, ledger, clock, auto_approve=auto_approve, result_file=result_file
            )
    budgets = workflow.locate(target)
    console.warn(budgets.warnings)
    check_tree(budgets, allow_dirty=allow_dirty)
    where = workflow.ledger_target(ledger_url, budgets.desired, budgets.repo)
    with workflow.opened(where, insecure=insecure, clock=clock) as ledger:
        plan, warnings = workflow.make_plan(
            budgets, ledger, now=clock(), override_reason=override_reason, ledger_url=where.url
        )
        console.warn(warnings)
        return _run(
            plan, budgets, ledger, clock, auto_approve=auto_approve, result_file=result_file
        )


def _run(
    plan: Plan,
    budgets: workflow.Budgets,
    ledger: Ledger,
    clock: Clock,
    *,
    auto_approve: bool,
    result_file: Path | None,
) -> int:
    color = color_for_stdout()
    click.echo(render_text(plan, color=color), nl=False)
    if not plan.changes:
        return EXIT_OK
    if not auto_approve and not _confirmed():
        click.echo("Apply cancelled: nothing was moved.", err=True)
        return EXIT_ERROR
    with _progress(len(plan.changes)) as report:
        result = executor.apply(plan, ledger, clock=clock, progress=report)
    if result_file is not None:
        write_result(result_file, result)
    verdict(result)
    failpoints.hit("apply.before_check")
    console.warn(workflow.closing_check(plan, result, budgets, ledger, clock=clock))
    click.echo(summary(result))
    return EXIT_OK


def _confirmed() -> bool:
    if not console.stdin_is_interactive():
        raise ReconcilerError("no terminal to confirm on: pass --auto-approve")
    click.echo("\nDo you want to make these movements? Only 'yes' will be accepted.", err=True)
    answer: str = click.prompt("Enter a value", default="", show_default=False, err=True)
    return answer.strip() == "yes"


@contextmanager
def _progress(total: int) -> Iterator[executor.Progress]:
    """A rich progress bar on a terminal; one plain line per movement otherwise (CI logs)."""
    if not console.stderr_is_interactive():

        def line(step: executor.StepResult, done: int, total: int) -> None:
            click.echo(f"[{done}/{total}] {step_line(step)}", err=True)

        yield line
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    stderr = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=stderr
    ) as bar:
        task = bar.add_task("applying", total=total)

        def advance(step: executor.StepResult, done: int, total: int) -> None:
            bar.console.print(step_line(step), markup=False, highlight=False)
            bar.update(task, completed=done)

        yield advance

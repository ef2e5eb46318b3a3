"""``reconciler codeowners``: a CODEOWNERS block from the Teams' ``owners``."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import git, workflow
from reconciler.commands.console import warn
from reconciler.commands.options import budgets_dir_argument
from reconciler.errors import GitError, exit_codes_help


@click.command(epilog=exit_codes_help((0, 1, 64, 70)))
@budgets_dir_argument
def codeowners(budgets_dir: Path) -> None:
    """Print a CODEOWNERS block: each team's budget file -> the team's owners.

    Paths are from the root of the git repository holding DIR. Paste the block into
    .github/CODEOWNERS (replacing an earlier one between its BEGIN and END lines) and require
    code-owner reviews, so each team's leads review changes to its envelope.

    \b
    Example:
      reconciler codeowners budgets/ > .github/CODEOWNERS
    """
    from reconciler.codeowners import owned_files
    from reconciler.render.codeowners import render_block

    desired, warnings = workflow.load_budgets(budgets_dir)
    warn(warnings)
    try:
        root = git.repo_root(budgets_dir)
    except GitError as exc:
        root = Path.cwd()
        warn([f"{exc}; paths are from the working directory {root}"])
    command = f"reconciler codeowners {budgets_dir}"
    click.echo(render_block(owned_files(desired, root), command), nl=False)

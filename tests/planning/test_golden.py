"""Golden renderings of every scenario: text, JSON and markdown (errors: the one-line message).

Regenerate with ``pytest tests/planning/test_golden.py --update-golden`` and review
the diff.
"""

from __future__ import annotations

import pytest

from reconciler.errors import PlanError
from reconciler.history import History
from reconciler.planning import planner
from reconciler.render.plan import render_json, render_markdown, render_text
from tests.planning.scenarios import SCENARIOS
from tests.support.golden import assert_golden
from tests.support.planning import COMMIT, NOW


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_golden_plan(name: str) -> None:
    s = SCENARIOS[name]()
    try:
        p = planner.plan(
            s.desired,
            s.observed,
            History(
                commit=COMMIT,
                dirty=False,
                managed_since=s.managed_since,
                previous_envelopes=s.previous_envelopes,
                routing=s.routing,
            ),
            now=NOW,
            override_reason=s.override_reason,
            ledger_url="sqlite:///.reconciler/sandbox.db",
        )
    except PlanError as err:
        assert_golden(f"plans/{name}.error.txt", f"{type(err).__name__}: {err}\n")
        return
    assert_golden(f"plans/{name}.txt", render_text(p, color=False))
    assert_golden(f"plans/{name}.json", render_json(p))
    assert_golden(f"plans/{name}.md", render_markdown(p))

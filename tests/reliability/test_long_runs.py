"""The long versions of the reliability tests: collected only under ``make reliability``
(``pytest --reliability``), where the root conftest lets this folder in."""

from __future__ import annotations

from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from tests.executor.test_stateful import ReconcilerMachine
from tests.support.proof import record

RUNS, STEPS = 600, 60


def test_many_stateful_interleavings_keep_every_invariant() -> None:
    run_state_machine_as_test(
        ReconcilerMachine,
        settings=settings(max_examples=RUNS, stateful_step_count=STEPS, deadline=None),
    )
    record(f"stateful runs of up to {STEPS} steps (reconciler and sandbox interleaved)", RUNS)

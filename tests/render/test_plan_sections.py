"""The plan's sections: one list, in one order, that the text and the markdown both show."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from reconciler.history import History
from reconciler.planning import planner
from reconciler.planning.types import (
    Deficit,
    DriftItem,
    Exhaustion,
    Plan,
    RoutingChange,
    UnmanagedWallet,
)
from reconciler.render.plan import render_markdown, render_text
from reconciler.render.plan_sections import (
    Deficits,
    Drift,
    Forecast,
    Routing,
    Unmanaged,
    Warnings,
    sections,
)
from tests.planning.scenarios import SCENARIOS
from tests.support.planning import COMMIT, NOW

TEXT_TITLES = [
    "Forecast (",
    "Deficits (",
    "Drift (",
    "Unmanaged team wallets (",
    "Routing ",
    "Warnings:",
]
MARKDOWN_TITLES = [
    "**Forecast**",
    "**Deficits**",
    "**Drift**",
    "**Unmanaged",
    "**Routing",
    "Warnings</summary>",
]


def _plan(name: str) -> Plan:
    s = SCENARIOS[name]()
    return planner.plan(
        s.desired,
        s.observed,
        History(commit=COMMIT, dirty=False, managed_since=s.managed_since, routing=s.routing),
        now=NOW,
    )


def _everything() -> Plan:
    """A plan with a row in every list section."""
    return replace(
        _plan("envelope_changes"),
        exhaustion=(Exhaustion("team_eng", date(2026, 11, 25), 5, 15_000_000_000, 12_000_000_000),),
        deficits=(Deficit("team_ops", 250_000_000, "cannot reclaim: 250.00 already spent"),),
        drift=(DriftItem("team_eng", "tx9", NOW, -1_000_000, "alice", "by hand", "warn"),),
        unmanaged=(UnmanagedWallet("team_shadow", "w9", 5_000_000, 4_000_000),),
        routing=(RoutingChange("cg_new", None, "team_eng"),),
        warnings=("team_eng: envelope above the organization's headroom",),
    )


def _positions(rendering: str, titles: list[str]) -> list[int]:
    return [rendering.index(title) for title in titles]


def test_every_list_section_in_one_order() -> None:
    model = sections(_everything())
    kinds = [type(section) for section in model.lists]
    assert kinds == [Forecast, Deficits, Drift, Unmanaged, Routing, Warnings]


def test_text_and_markdown_show_the_sections_in_the_models_order() -> None:
    plan = _everything()
    text = _positions(render_text(plan, color=False), TEXT_TITLES)
    markdown = _positions(render_markdown(plan), MARKDOWN_TITLES)
    assert text == sorted(text)
    assert markdown == sorted(markdown)


def test_an_empty_list_is_no_section_in_either_rendering() -> None:
    plan = replace(_everything(), deficits=(), routing=())
    assert [type(s) for s in sections(plan).lists] == [Forecast, Drift, Unmanaged, Warnings]
    text, markdown = render_text(plan, color=False), render_markdown(plan)
    for rendering in (text, markdown):
        assert "Deficits" not in rendering
        assert "Routing" not in rendering


def test_the_model_formats_amounts_and_keeps_ledger_text_as_it_came() -> None:
    plan = _everything()
    note = "ok\x1b[2J|<b>"
    model = sections(replace(plan, drift=(replace(plan.drift[0], note=note),)))
    (drift,) = [s for s in model.lists if isinstance(s, Drift)]
    (row,) = drift.rows
    assert (row.when, row.amount, row.note) == ("2026-11-15 12:00:00Z", "-1.00", note)
    (forecast,) = [s for s in model.lists if isinstance(s, Forecast)]
    assert forecast.rows[0].projected == "15,000.00"
    assert forecast.rows[0].sentence == "team_eng runs out on 2026-11-25, 5 days early"


def test_the_longest_list_counts_changes_and_every_section() -> None:
    plan = _everything()
    many = tuple(f"warning {i}" for i in range(len(plan.changes) + 3))
    assert sections(replace(plan, warnings=many)).longest == len(many)
    assert sections(plan).longest == max(len(plan.changes), len(sections(plan).teams), 1)

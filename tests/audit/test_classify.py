"""Every team-side allocate/reclaim classified and traced, on a real repository and ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler import audit, git, history, notes
from reconciler.sandbox.ledger import SqliteLedger
from tests.support.git_repo import GitRepo
from tests.support.sqlite_ledger import ManualClock, usd

ORG = "apiVersion: reconciler/v1\nkind: Organization\nid: org_acme\nperiod: monthly\n"
FORGED = "f0" * 20


def team(team_id: str, envelope: str) -> str:
    return f"apiVersion: reconciler/v1\nkind: Team\nid: {team_id}\nenvelope: {envelope}\n"


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def note(commit: str, team_id: str, *, dirty: bool = False, override: str | None = None) -> str:
    return notes.format_note(
        notes.Note(commit, "abc123", "0123456789abcdef", team_id, "2026-03", dirty, override)
    )


def run(tmp_path: Path) -> tuple[list[audit.Movement], list[audit.Finding], dict[str, str]]:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/org.yaml", ORG)
    repo.write("budgets/eng.yaml", team("team_eng", "100.00"))
    first = repo.commit("Add eng (#3)", when=at(2))
    repo.git("checkout", "--quiet", "-b", "side")
    side = repo.commit("Experiment", when=at(3))
    repo.git("checkout", "--quiet", "main")
    repo.write("budgets/eng.yaml", team("team_eng", "150.00"))
    raised = repo.commit("Raise eng (#4)", when=at(4))
    clock = ManualClock(at(1))
    ledger = SqliteLedger.create(tmp_path / "ledger.db", "org_acme", clock=clock)
    ledger.credit(usd("1000"), note="seed")
    ledger.allocate("team_eng", usd("40"), note="before git", actor="console")
    steps = [
        (at(2, 10), "reconciler", 60, note(first, "team_eng")),
        (at(3, 10), "console", 25, "top-up for the offsite"),
        (at(3, 11), "reconciler", 5, note(FORGED, "team_eng")),
        (at(3, 12), "reconciler", 1, note(side, "team_eng", dirty=True)),
        (at(3, 13), "someone", 2, "reconciler/v1 commit=deadbeef team=team_eng"),
        (at(3, 14), "reconciler", 3, note(first, "team_eng", override="ticket OPS-1")),
    ]
    for when, actor, amount, text in steps:
        clock.set(when)
        ledger.allocate("team_eng", usd(str(amount)), note=text, actor=actor)
    clock.set(at(3, 15))
    ledger.reclaim("team_eng", usd("10"), note="console claw-back", actor="console")
    log = history.commit_log(repo.root, "main", extra=[FORGED, side])
    managed = git.managed_since(repo.root / "budgets", ["team_eng"])
    moves, found = audit.classify(audit.team_entries(audit.wallet_entries(ledger)), log, managed)
    found += audit.unapplied(history.envelope_history(repo.root / "budgets"), moves, log)
    ledger.close()
    return moves, found, {"first": first, "side": side, "raised": raised}


def test_classes_and_commit_facts(tmp_path: Path) -> None:
    moves, _found, shas = run(tmp_path)
    assert [(m.action, m.amount, m.klass) for m in moves] == [
        ("allocate", usd("40"), "adopted"),
        ("allocate", usd("60"), "reconciler"),
        ("allocate", usd("25"), "out_of_band"),
        ("allocate", usd("5"), "reconciler"),
        ("allocate", usd("1"), "reconciler"),
        ("allocate", usd("2"), "out_of_band"),
        ("allocate", usd("3"), "reconciler"),
        ("reclaim", usd("10"), "out_of_band"),
    ]
    traced = moves[1]
    assert (traced.commit, traced.pr, traced.subject, traced.on_branch) == (
        shas["first"],
        3,
        "Add eng (#3)",
        True,
    )
    assert (traced.author, traced.plan_id, traced.op_key) == (
        "Test Author",
        "abc123",
        "0123456789abcdef",
    )
    assert (moves[3].commit_found, moves[3].on_branch, moves[3].pr) == (False, False, None)
    assert (moves[4].commit_found, moves[4].on_branch, moves[4].dirty) == (True, False, True)
    assert moves[6].override_reason == "ticket OPS-1"
    assert moves[2].actor == "console"


def test_findings_one_per_problem(tmp_path: Path) -> None:
    moves, found, shas = run(tmp_path)
    by_id = {m.transaction_id: i for i, m in enumerate(moves)}
    kinds = [(f.kind, by_id.get(f.transaction_id or "")) for f in found]
    assert kinds == [
        ("out_of_band", 2),
        ("unknown_commit", 3),
        ("not_on_branch", 4),
        ("dirty", 4),
        ("malformed_note", 5),
        ("out_of_band", 5),
        ("override", 6),
        ("out_of_band", 7),
        ("unapplied", None),
    ]
    assert "ticket OPS-1" in found[6].message
    assert shas["raised"][:12] in found[8].message
    assert "100.00 -> 150.00" in found[8].message
    assert [f.kind for f in audit.strict_failures(found)].count("override") == 0


def test_a_later_apply_carries_earlier_envelope_changes(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("budgets/org.yaml", ORG)
    repo.write("budgets/eng.yaml", team("team_eng", "100.00"))
    repo.commit("Add eng", when=at(2))
    repo.write("budgets/eng.yaml", team("team_eng", "120.00"))
    repo.commit("Raise eng", when=at(3))
    last = repo.commit("Unrelated", when=at(4))
    clock = ManualClock(at(5))
    ledger = SqliteLedger.create(tmp_path / "ledger.db", "org_acme", clock=clock)
    ledger.credit(usd("1000"), note="seed")
    ledger.allocate("team_eng", usd("120"), note=note(last, "team_eng"))
    log = history.commit_log(repo.root, "main")
    moves, found = audit.classify(
        audit.team_entries(audit.wallet_entries(ledger)), log, {"team_eng": at(2)}
    )
    assert found == []
    assert audit.unapplied(history.envelope_history(repo.root / "budgets"), moves, log) == []
    clock.advance(timedelta(days=1))
    ledger.close()

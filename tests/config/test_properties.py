"""Properties: valid organizations round-trip to the same model; no input crashes the loader."""

from __future__ import annotations

import dataclasses
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import load, validate_dir, yamlload
from reconciler.errors import ConfigError
from reconciler.model import (
    ConsumerGroup,
    DesiredState,
    DriftPolicy,
    GatewayConfig,
    Guards,
    Mode,
    Organization,
    Team,
)
from reconciler.periods import PeriodKind
from tests.support.budgets import (
    dump_documents,
    gateway_doc,
    organization_doc,
    state_documents,
    team_doc,
)

ids = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
cents = st.integers(min_value=0, max_value=10**11)
owners = st.lists(
    st.from_regex(r"@[a-z][a-z0-9-]{0,8}(/[a-z][a-z0-9-]{0,8})?", fullmatch=True),
    max_size=3,
    unique=True,
)
names = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s and "\x00" not in s)


def _amount(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def _optional(draw: st.DrawFn, strategy: st.SearchStrategy[Any]) -> Any:
    return draw(st.one_of(st.none(), strategy))


@st.composite
def organizations(draw: st.DrawFn) -> tuple[list[dict[str, Any]], DesiredState]:
    """Documents of a valid budgets directory and the model they must load to."""
    org_id, period, headroom = draw(ids), draw(st.sampled_from(list(PeriodKind))), draw(cents)
    defaults = {
        key: value
        for key, value in (
            ("mode", _optional(draw, st.sampled_from(["period", "balance"]))),
            ("rollover", _optional(draw, st.booleans())),
            ("drift", _optional(draw, st.sampled_from(["warn", "correct"]))),
        )
        if value is not None
    }
    guard_values = {
        key: _amount(value)
        for key in ("max_movement_per_apply", "max_reclaim_per_apply")
        if (value := _optional(draw, cents)) is not None
    }
    extra: dict[str, Any] = {}
    if defaults:
        extra["defaults"] = defaults
    if guard_values:
        extra["guards"] = guard_values
    ledger = _optional(draw, st.sampled_from(["sqlite:///x.db", "https://api.example/v1"]))
    if ledger:
        extra["ledger"] = ledger
    org_model = Organization(
        id=org_id,
        period=period,
        headroom=headroom * 10_000,
        mode=Mode(defaults.get("mode", "period")),
        rollover=defaults.get("rollover", False),
        drift=DriftPolicy(defaults.get("drift", "warn")),
        guards=Guards(**{key: int(value * 1_000_000) for key, value in guard_values.items()}),
        ledger=ledger,
    )
    documents = [organization_doc(org_id, period=period.value, headroom=_amount(headroom), **extra)]
    teams: list[Team] = []
    for team_id in draw(st.lists(ids, max_size=6, unique=True)):
        removed = draw(st.booleans())
        envelope = None if removed and draw(st.booleans()) else draw(cents)
        fields: dict[str, Any] = {}
        for key, strategy in (
            ("name", names),
            ("owners", owners),
            ("mode", st.sampled_from(["period", "balance"])),
            ("rollover", st.booleans()),
            ("drift", st.sampled_from(["warn", "correct"])),
            ("protect", st.just(False) if removed else st.booleans()),
        ):
            value = _optional(draw, strategy)
            if value is not None:
                fields[key] = value
        if removed:
            fields["removed"] = True
        low = _optional(draw, cents)
        high = _optional(draw, cents)
        if low is not None and high is not None and low > high:
            low, high = high, low
        if low is not None:
            fields["envelope_min"] = _amount(low)
        if high is not None:
            fields["envelope_max"] = _amount(high)
        documents.append(
            team_doc(team_id, None if envelope is None else _amount(envelope), **fields)
        )
        teams.append(
            Team(
                id=team_id,
                name=fields.get("name", team_id),
                envelope=(envelope or 0) * 10_000,
                mode=Mode(fields.get("mode", org_model.mode.value)),
                rollover=fields.get("rollover", org_model.rollover),
                drift=DriftPolicy(fields.get("drift", org_model.drift.value)),
                owners=tuple(fields.get("owners", ())),
                protect=fields.get("protect", False),
                removed=removed,
                envelope_min=None if low is None else low * 10_000,
                envelope_max=None if high is None else high * 10_000,
            )
        )
    gateway = None
    if teams and draw(st.booleans()):
        mapping = {f"group_{team.id}": team.id for team in teams}
        enforcement = draw(st.booleans())
        documents.append(gateway_doc(mapping, wallet_enforcement=enforcement))
        gateway = GatewayConfig(
            tuple(ConsumerGroup(group, team) for group, team in mapping.items()), enforcement
        )
    state = DesiredState(Path("."), org_model, tuple(sorted(teams, key=lambda t: t.id)), gateway)
    return documents, state


def _without_locations(state: DesiredState) -> DesiredState:
    gateway = state.gateway
    if gateway is not None:
        gateway = dataclasses.replace(
            gateway,
            location=None,
            consumer_groups=tuple(
                dataclasses.replace(group, location=None) for group in gateway.consumer_groups
            ),
        )
    return dataclasses.replace(
        state,
        root=Path("."),
        organization=dataclasses.replace(state.organization, location=None),
        teams=tuple(dataclasses.replace(team, location=None) for team in state.teams),
        gateway=gateway,
    )


def _load_documents(documents: list[dict[str, Any]], one_file: bool) -> DesiredState:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if one_file:
            (root / "all.yaml").write_text(dump_documents(*documents), encoding="utf-8")
        else:
            for index, document in enumerate(documents):
                path = root / f"d{index // 3}" / f"doc{index}.yml"
                path.parent.mkdir(exist_ok=True)
                path.write_text(dump_documents(document), encoding="utf-8")
        state, _warnings = load(root)
    return state


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(organizations(), st.booleans())
def test_valid_organizations_round_trip(
    generated: tuple[list[dict[str, Any]], DesiredState], one_file: bool
) -> None:
    documents, expected = generated
    loaded = _without_locations(_load_documents(documents, one_file))
    assert loaded == expected
    again = _without_locations(_load_documents(state_documents(loaded), not one_file))
    assert again == loaded


def _must_not_crash(data: bytes, loader: type) -> None:
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(yamlload, "LOADER", loader):
        root = Path(tmp)
        (root / "input.yaml").write_bytes(data)
        report = validate_dir(root)
        assert report.ok == (report.state is not None)
        assert all(d.line >= 0 and d.col >= 0 for d in report.diagnostics)
        if report.state is None:
            with pytest.raises(ConfigError) as caught:
                load(root)
            assert caught.value.diagnostics == report.diagnostics
        else:
            assert load(root) == (report.state, report.warnings)


LOADERS = pytest.mark.parametrize("loader", [yaml.CSafeLoader, yaml.SafeLoader])


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
@LOADERS
def test_arbitrary_bytes_never_crash(loader: type, data: bytes) -> None:
    _must_not_crash(data, loader)


YAMLISH = st.text(
    alphabet=st.sampled_from(list("-:[]{}&*!|>'\"%@`#,?~. \n\tabkidenvlope0123456789")),
    max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(YAMLISH)
@LOADERS
def test_yaml_like_text_never_crashes(loader: type, text: str) -> None:
    _must_not_crash(text.encode("utf-8"), loader)


SAMPLE = (
    b"apiVersion: reconciler/v1\nkind: Organization\nid: org_x\nperiod: monthly\n"
    b"headroom: 10.00\nguards: {max_movement_per_apply: 5.00}\n---\n"
    b"apiVersion: reconciler/v1\nkind: Team\nid: team_a\nenvelope: 1.50\n"
    b"owners: ['@a/b']\nenvelope_min: &m 1.00\nenvelope_max: *m\n---\n"
    b"apiVersion: reconciler/v1\nkind: GatewayConfig\nconsumer_groups:\n"
    b"  - id: g\n    wallet_team_id: team_a\n"
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(SAMPLE)),
            st.integers(min_value=0, max_value=3),
            st.binary(max_size=3),
        ),
        min_size=1,
        max_size=4,
    )
)
@LOADERS
def test_mutated_valid_files_never_crash(loader: type, edits: list[tuple[int, int, bytes]]) -> None:
    data = SAMPLE
    for position, cut, insert in edits:
        data = data[:position] + insert + data[position + cut :]
    _must_not_crash(data, loader)

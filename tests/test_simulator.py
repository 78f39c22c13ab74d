"""The simulator writes realistic, contract-conforming landing files, and exactly the noise it
reports. Runs are small (a few thousand members, a few weeks) so the file stays fast."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dagster_project.cli import main
from dagster_project.simulator import (
    REJECTED_KINDS,
    SOURCE_FORMATS,
    SimulationConfig,
    SimulationSummary,
    simulate,
)
from dagster_project.simulator.dirty import supported_kinds
from dagster_project.simulator.engine import World, run_world, write_world
from dagster_project.simulator.reference import load_reference
from dagster_project.simulator.render import SPECS
from data_quality.contract import SOURCES, Source

START = date(2026, 1, 1)
TIMESTAMP_SHAPE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$"
VALID_MOBILE = r"^1[3-9]\d{9}$"
AMOUNT = pl.col("amount_cny").cast(pl.Float64)


# ---------------------------------------------------------------- reading and validating files


def read_partition(path: Path) -> pl.DataFrame:
    """One part file, every column as text (as ingestion sees it)."""
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
    elif path.suffix == ".csv":
        frame = pl.read_csv(path, infer_schema=False)
    else:
        frame = pl.read_ndjson(path) if path.stat().st_size else pl.DataFrame()
    return frame.with_columns(pl.all().cast(pl.String))


def read_source(out: Path, source: str) -> pl.DataFrame:
    """All partitions of a source, with the landing day ``_dt`` and the 1-based ``_line``."""
    names = SOURCES[source].column_names
    frames = []
    for folder in sorted((out / source).glob("dt=*")):
        (part,) = folder.glob("part-*")
        frame = read_partition(part)
        if frame.height == 0:
            continue
        frames.append(
            frame.select(names).with_columns(
                pl.lit(date.fromisoformat(folder.name[3:])).alias("_dt"),
                pl.int_range(1, frame.height + 1).alias("_line"),
            )
        )
    return pl.concat(frames)


def _blank(name: str) -> pl.Expr:
    return pl.col(name).is_null() | (pl.col(name).str.strip_chars() == "")


def _parsed(name: str, dtype: str) -> pl.Expr:
    value = pl.col(name).str.strip_chars()
    if dtype == "int":
        return value.cast(pl.Int64, strict=False)
    if dtype == "float":
        return value.cast(pl.Float64, strict=False)
    if dtype == "timestamp":
        return value.str.to_datetime("%Y-%m-%dT%H:%M:%S%z", strict=False)
    return value.str.to_date("%Y-%m-%d", strict=False)


def _rule_checks(source: Source) -> list[tuple[str, pl.Expr]]:
    """(reason, failing condition) in the order ingestion checks them."""
    checks = [(f"missing_required:{c.name}", _blank(c.name)) for c in source.columns if c.required]
    typed = [c for c in source.columns if c.dtype != "string"]
    checks += [
        (f"bad_type:{c.name}", ~_blank(c.name) & _parsed(c.name, c.dtype).is_null()) for c in typed
    ]
    for column in source.columns:
        allowed = column.allowed_values()
        if allowed is not None:
            outside = ~pl.col(column.name).str.strip_chars().is_in(list(allowed))
            checks.append((f"invalid_value:{column.name}", ~_blank(column.name) & outside))
    for column in source.columns:
        if column.min_value is not None:
            value = _parsed(column.name, column.dtype)
            outside = (value < column.min_value) | (value > column.max_value)
            checks.append((f"out_of_range:{column.name}", ~_blank(column.name) & outside))
    return checks


def first_failures(frame: pl.DataFrame, source: Source) -> pl.Series:
    """The reason ingestion must give each row (null for accepted rows)."""
    checks = _rule_checks(source)
    reason = pl.lit(None, dtype=pl.String)
    for label, failing in reversed(checks):
        reason = pl.when(failing.fill_null(False)).then(pl.lit(label)).otherwise(reason)
    judged = frame.with_columns(reason.alias("_reason"))
    accepted = judged.filter(pl.col("_reason").is_null())
    key = "+".join(source.key)
    repeated = accepted.filter(~pl.struct(list(source.key)).is_first_distinct().over("_dt"))
    repeated = repeated.select("_dt", "_line", pl.lit(f"duplicate_key:{key}").alias("_dup"))
    return (
        judged.join(repeated, on=["_dt", "_line"], how="left")
        .select(pl.coalesce("_reason", "_dup"))
        .to_series()
    )


def event_dates(frame: pl.DataFrame, source: Source) -> pl.Series:
    """The calendar day of each row's event time (Asia/Shanghai)."""
    return frame.select(
        pl.col(source.event_time).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    ).to_series()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    """A clean world of 5,000 members over 60 days, written without noise."""
    out = tmp_path_factory.mktemp("clean")
    world = run_world(SimulationConfig(members=5000, days=60, seed=7, dirty_rate=0.0, out=out))
    write_world(world)
    return world, out


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimulationSummary, Path]:
    """A small run with a high dirty rate, through the public API."""
    out = tmp_path_factory.mktemp("dirty")
    summary = simulate(SimulationConfig(members=2000, days=20, seed=11, dirty_rate=0.05, out=out))
    return summary, out


def _frames(out: Path) -> dict[str, pl.DataFrame]:
    return {name: read_source(out, name) for name in SOURCES}


@pytest.fixture(scope="module")
def clean_frames(clean: tuple[World, Path]) -> dict[str, pl.DataFrame]:
    return _frames(clean[1])


@pytest.fixture(scope="module")
def dirty_frames(dirty: tuple[SimulationSummary, Path]) -> dict[str, pl.DataFrame]:
    return _frames(dirty[1])


# ---------------------------------------------------------------- configuration and layout


def test_config_defaults_and_validation():
    config = SimulationConfig(out=Path("landing"))
    assert (config.members, config.days, config.start, config.seed, config.dirty_rate) == (
        5000,
        60,
        date(2026, 1, 1),
        42,
        0.01,
    )
    with pytest.raises(AttributeError):
        config.members = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="dirty_rate"):
        SimulationConfig(dirty_rate=0.9, out=Path("landing"))
    with pytest.raises(ValueError, match="days"):
        SimulationConfig(days=0, out=Path("landing"))


def test_render_specs_follow_the_contract():
    for name, source in SOURCES.items():
        assert list(SPECS[name]) == source.column_names, name


def test_every_source_has_a_file_and_a_marker_for_every_day(dirty):
    summary, out = dirty
    days = [START + timedelta(days=i) for i in range(summary.config.days)]
    assert sorted(p.name for p in out.iterdir()) == sorted(SOURCES)
    for source, file_format in SOURCE_FORMATS.items():
        folders = sorted(p.name for p in (out / source).iterdir())
        assert folders == [f"dt={d.isoformat()}" for d in days], source
        for day in days:
            folder = out / source / f"dt={day.isoformat()}"
            assert (folder / "_SUCCESS").stat().st_size == 0
            assert [p.name for p in folder.glob("part-*")] == [f"part-00000.{file_format}"]


def test_summary_counts_rows_and_speed(dirty, dirty_frames):
    summary, _ = dirty
    for source, frame in dirty_frames.items():
        assert summary.rows_written[source] == frame.height, source
    report = summary.to_dict()
    json.dumps(report)
    assert report["total_rows"] == sum(summary.rows_written.values())
    assert summary.elapsed_seconds > 0 and summary.rows_per_second > 0
    assert set(report["dirty"]["logins"]) == {*REJECTED_KINDS, "late", "redelivered"}


def _file_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_and_reruns_replace_partitions(tmp_path):
    config = SimulationConfig(members=300, days=6, seed=5, dirty_rate=0.05, out=tmp_path / "a")
    simulate(config)
    first = _file_bytes(config.out)
    stale = config.out / "logins" / "dt=2026-01-02" / "part-99999.parquet"
    stale.write_bytes(b"left over from an older run")
    simulate(config)
    assert not stale.exists()
    assert _file_bytes(config.out) == first
    other = SimulationConfig(members=300, days=6, seed=6, dirty_rate=0.05, out=tmp_path / "b")
    simulate(other)
    second = _file_bytes(other.out)
    assert second.keys() == first.keys()
    assert (
        second["logins/dt=2026-01-03/part-00000.parquet"]
        != first["logins/dt=2026-01-03/part-00000.parquet"]
    )


def test_command_line_writes_and_prints_the_summary(tmp_path, capsys):
    argv = ["simulate", "--members", "80", "--days", "2", "--seed", "3", "--out", str(tmp_path)]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["members"] == 80 and report["days"] == 2
    assert (tmp_path / "surveys" / "dt=2026-01-02" / "_SUCCESS").exists()


# ---------------------------------------------------------------- contract conformity


@pytest.mark.parametrize("source", list(SOURCES))
def test_clean_rows_satisfy_the_contract(clean_frames, source):
    frame = clean_frames[source]
    assert frame.height > 0
    reasons = first_failures(frame, SOURCES[source])
    bad = frame.with_columns(reasons.alias("_reason")).filter(pl.col("_reason").is_not_null())
    assert bad.height == 0, bad.head(5)
    for column in SOURCES[source].columns:
        if column.dtype == "timestamp":
            shaped = frame[column.name].drop_nulls().str.contains(TIMESTAMP_SHAPE)
            assert shaped.all(), column.name
    # Without noise every row lands on its event day.
    assert (event_dates(frame, SOURCES[source]) == frame["_dt"]).all()


def test_clean_and_dirty_worlds_are_the_same_world(tmp_path):
    base = {"members": 200, "days": 5, "seed": 9}
    clean_out, dirty_out = tmp_path / "clean", tmp_path / "dirty"
    simulate(SimulationConfig(**base, dirty_rate=0.0, out=clean_out))
    simulate(SimulationConfig(**base, dirty_rate=0.1, out=dirty_out))
    clean_ids = set(read_source(clean_out, "logins")["login_id"])
    dirty_ids = set(read_source(dirty_out, "logins")["login_id"].drop_nulls())
    assert len(clean_ids - dirty_ids) < 0.1 * len(clean_ids)


# ---------------------------------------------------------------- dirty rows


def test_each_dirty_row_breaks_exactly_the_rule_of_its_kind(dirty, dirty_frames):
    summary, _ = dirty
    for name, frame in dirty_frames.items():
        source = SOURCES[name]
        found = (
            first_failures(frame, source).drop_nulls().str.split(":").list.first().value_counts()
        )
        counts = dict(zip(found[found.columns[0]], found["count"], strict=True))
        for kind in REJECTED_KINDS:
            rule = "duplicate_key" if kind == "duplicate" else kind
            assert counts.get(rule, 0) == summary.dirty_rows(name, kind), (name, kind)
        assert sum(counts.values()) == summary.expected_rejected(name)


def test_dirty_rows_follow_the_rate_over_the_kinds_a_source_supports(dirty):
    summary, _ = dirty
    rate = summary.config.dirty_rate
    for name, source in SOURCES.items():
        kinds = supported_kinds(source)
        injected = sum(summary.dirty_rows(name, kind) for kind in kinds)
        rows = summary.rows_written[name]
        expected = rate * rows
        assert abs(injected - expected) <= 4 * np.sqrt(expected) + 3, name
        for kind in {*REJECTED_KINDS} - set(kinds):
            assert summary.dirty_rows(name, kind) == 0, (name, kind)
    assert summary.dirty_rows("logins", "out_of_range") > 0
    assert summary.dirty_rows("logins", "late") > 0
    assert summary.dirty_rows("logins", "redelivered") > 0
    assert summary.dirty_rows("consumption", "bad_type") > 0
    assert summary.dirty_rows("members", "out_of_range") == 0


def test_late_rows_land_one_to_three_days_after_their_event(dirty, dirty_frames):
    summary, _ = dirty
    for name, frame in dirty_frames.items():
        source = SOURCES[name]
        accepted = frame.filter(first_failures(frame, source).is_null())
        lag = (accepted["_dt"] - event_dates(accepted, source)).dt.total_days()
        behind = accepted.filter(lag > 0)
        assert lag.min() >= 0 and (lag.max() or 0) <= 3, name
        expected = summary.dirty_rows(name, "late") + summary.dirty_rows(name, "redelivered")
        assert behind.height == expected, name
        # A re-delivered row repeats the key of a row delivered the day before.
        again = accepted.filter(pl.struct(list(source.key)).is_duplicated())
        assert again.height == 2 * summary.dirty_rows(name, "redelivered"), name


# ---------------------------------------------------------------- money


def test_top_decile_of_payers_brings_85_to_95_percent_of_consumption(clean_frames):
    recharges, consumption = clean_frames["recharges"], clean_frames["consumption"]
    payers = recharges.filter(pl.col("txn_type") == "PAYMENT")["member_id"].unique()
    spent = (
        consumption.group_by("member_id")
        .agg(AMOUNT.sum().alias("spent"))
        .join(pl.DataFrame({"member_id": payers}), on="member_id", how="right")
        .fill_null(0.0)
        .sort("spent", descending=True)
    )
    top = spent.head(round(spent.height * 0.1))["spent"].sum()
    assert 0.85 <= top / spent["spent"].sum() <= 0.95
    members_who_played = clean_frames["logins"]["member_id"].n_unique()
    assert 0.3 <= payers.len() / members_who_played <= 0.5


def test_consumption_never_exceeds_what_was_recharged(clean_frames):
    money = pl.concat(
        [
            clean_frames["recharges"]
            .filter(pl.col("txn_type") != "CHARGEBACK")
            .select(
                "member_id",
                pl.col("recharged_at").alias("at"),
                pl.when(pl.col("txn_type") == "PAYMENT")
                .then(AMOUNT)
                .otherwise(-AMOUNT)
                .alias("cny"),
                pl.lit(0).alias("order"),
            ),
            clean_frames["consumption"].select(
                "member_id",
                pl.col("consumed_at").alias("at"),
                (-AMOUNT).alias("cny"),
                pl.lit(1).alias("order"),
            ),
        ]
    )
    balance = money.sort("member_id", "at", "order").select(
        pl.col("cny").cum_sum().over("member_id").alias("balance")
    )
    assert balance["balance"].min() >= -0.005


def test_recharges_are_packages_and_reversals_are_rare(clean_frames):
    recharges = clean_frames["recharges"]
    paid = recharges.filter(pl.col("txn_type") == "PAYMENT")["amount_cny"].cast(pl.Float64)
    packages = {6.0, 30.0, 68.0, 128.0, 328.0}
    assert (paid.is_in(list(packages)) | (paid % 648 == 0)).all()
    counts = recharges["txn_type"].value_counts()
    share = {t: n / paid.len() for t, n in zip(counts["txn_type"], counts["count"], strict=True)}
    assert 0.004 <= share["REFUND"] <= 0.025
    assert 0.0005 <= share["CHARGEBACK"] <= 0.006


def test_g_points_spent_stay_within_points_earned(clean_frames):
    ref = load_reference()
    consumption = clean_frames["consumption"].with_columns(AMOUNT.alias("cny"))
    days = consumption["consumed_at"].str.slice(0, 10).str.to_date()
    multiplier = days.map_elements(ref.points_multiplier, return_dtype=pl.Float64)
    earned = (consumption["cny"] * multiplier).sum()
    spent = clean_frames["points_exchanges"]["points"].cast(pl.Int64).sum()
    assert 0 < spent <= earned
    redeemed = clean_frames["points_exchanges"].filter(pl.col("exchange_type") == "MALL_REDEEM")
    assert redeemed["item_code"].null_count() == 0


# ---------------------------------------------------------------- behaviour


def test_members_start_with_a_full_snapshot_and_keep_registering(clean_frames):
    members = clean_frames["members"]
    existing = members.filter(pl.col("updated_at") == "2026-01-01T00:00:00+08:00")
    assert (existing["_dt"] == START).all() and existing["member_id"].is_unique().all()
    assert (existing["registered_at"] < "2026-01-01").all()
    assert 0.5 <= existing.height / 5000 <= 0.6
    registered = members.filter(pl.col("updated_at") == pl.col("registered_at"))
    assert registered.height == members["member_id"].n_unique() - existing.height
    assert members.filter(pl.col("updated_at") != pl.col("registered_at")).height > existing.height


def test_profile_phones_are_mostly_valid_mobiles_with_realistic_noise(clean_frames):
    first = clean_frames["members"].filter(pl.col("_dt") == START)["phone"]
    cleaned = first.drop_nulls().str.replace_all(r"[ \-]", "").str.replace(r"^\+86", "")
    valid = cleaned.str.contains(VALID_MOBILE) & ~cleaned.is_in(["13800000000", "13900000000"])
    placeholder = cleaned.is_in(["13800000000", "13900000000", "11111111111"])
    assert 0.88 <= valid.mean() <= 0.97
    assert 0.005 <= placeholder.mean() <= 0.04
    assert first.str.contains(r"^\+86 1\d{2} \d{4} \d{4}$").any()
    assert first.str.contains(r"^1\d{2}-\d{4}-\d{4}$").any()


def test_outbound_calls_reach_only_valid_numbers(clean_frames):
    calls = clean_frames["contacts"].filter(pl.col("channel") == "OB")
    assert calls.height > 0 and calls["agent_id"].str.starts_with("AG").all()
    reached = calls.filter(pl.col("outcome") == "REACHED")["phone"]
    cleaned = reached.str.replace_all(r"[ \-]", "").str.replace(r"^\+86", "")
    assert cleaned.str.contains(VALID_MOBILE).all()
    assert not cleaned.is_in(["13800000000", "13900000000", "11111111111"]).any()
    assert (calls["outcome"] == "WRONG_NUMBER").any()


def test_churners_fade_before_they_leave_but_not_all_of_them(clean_frames):
    """Members silent for 30+ days at the end played on fewer days in the 9 days before their
    last login than in the 9 days before that, on average."""
    daily = (
        clean_frames["logins"]
        .select("member_id", pl.col("login_at").str.slice(0, 10).str.to_date().alias("day"))
        .unique()
    )
    window_end = START + timedelta(days=59)
    last = daily.group_by("member_id").agg(pl.col("day").max().alias("last"))
    churners = last.filter((pl.lit(window_end) - pl.col("last")).dt.total_days() >= 30)
    counted = (
        daily.join(churners, on="member_id")
        .with_columns((pl.col("last") - pl.col("day")).dt.total_days().alias("before_last"))
        .group_by("member_id")
        .agg(
            pl.col("before_last").is_between(1, 9).sum().alias("recent"),
            pl.col("before_last").is_between(10, 18).sum().alias("earlier"),
            pl.col("last").first(),
        )
        .filter((pl.col("last") - pl.lit(START)).dt.total_days() >= 19, pl.col("earlier") > 0)
    )
    assert counted.height >= 30
    assert counted["recent"].mean() < 0.9 * counted["earlier"].mean()
    # Noisy, not deterministic: some churners show no fading at all.
    assert (counted["recent"] >= counted["earlier"]).mean() >= 0.05


def test_vips_churn_less_but_do_churn(clean):
    world, _ = clean
    states = world.truth.state_by_day
    active_first = states[0] == 0
    churned_later = (states == 2).any(axis=0) & active_first
    vip, regular = world.truth.latent_vip & active_first, ~world.truth.latent_vip & active_first
    vip_share, regular_share = churned_later[vip].mean(), churned_later[regular].mean()
    assert 0 < vip_share < regular_share


def test_some_members_play_at_night(clean_frames):
    hours = clean_frames["logins"].select(
        "member_id", pl.col("login_at").str.slice(11, 2).cast(pl.Int64).alias("hour")
    )
    night = hours.group_by("member_id").agg(
        ((pl.col("hour") >= 22) | (pl.col("hour") < 4)).mean().alias("night_share"), pl.len()
    )
    regulars = night.filter(pl.col("len") >= 10)
    assert 0.05 <= (regulars["night_share"] > 0.5).mean() <= 0.3


def test_potential_vips_ramp_up_before_crossing_gold(clean, clean_frames):
    world, _ = clean
    truth = world.truth
    consumption = clean_frames["consumption"].select(
        (pl.col("member_id").str.slice(1).cast(pl.Int64) - 1).alias("member"),
        (pl.col("consumed_at").str.slice(0, 10).str.to_date() - pl.lit(START))
        .dt.total_days()
        .alias("day"),
        AMOUNT.alias("cny"),
    )
    end = truth.growth_start + truth.growth_days
    growth = np.flatnonzero((truth.growth_scale > 0) & (truth.growth_start >= 7) & (end <= 52))
    assert growth.size >= 10
    phases = pl.DataFrame(
        {"member": growth, "start": truth.growth_start[growth], "end": end[growth]}
    )
    spend = consumption.join(phases, on="member")
    before = spend.filter(pl.col("day").is_between(pl.col("start") - 7, pl.col("start") - 1))
    after = spend.filter(pl.col("day").is_between(pl.col("end"), pl.col("end") + 6))
    assert after["cny"].sum() > 4 * before["cny"].sum()
    everyone = np.flatnonzero(truth.growth_scale > 0).tolist()
    totals = (
        consumption.filter(pl.col("member").is_in(everyone))
        .group_by("member")
        .agg(pl.col("cny").sum())
    )
    crossed = totals.filter(pl.col("cny") >= load_reference().gold_threshold_cny).height
    assert 0 < crossed < len(everyone)  # many cross, others plateau below the threshold


def test_each_guild_has_at_most_one_leader_and_levels_only_rise(clean_frames):
    characters = clean_frames["characters"].sort("character_id", "updated_at")
    levels = (
        characters.with_columns(pl.col("level").cast(pl.Int64))
        .group_by("character_id", maintain_order=True)
        .agg((pl.col("level").diff().fill_null(0) >= 0).all().alias("rising"))
    )
    assert levels["rising"].all()
    latest = characters.group_by("character_id").last()
    leaders = latest.filter(pl.col("guild_role") == "LEADER").group_by("guild_id").len()
    assert leaders["len"].max() == 1
    assert (latest.filter(pl.col("guild_id").is_null())["guild_role"] == "NONE").all()
    assert latest["guild_id"].drop_nulls().str.contains(r"^G0\d-S\d{2}-GU\d{4}$").all()


def test_tickets_open_then_resolve_with_the_same_id(clean_frames):
    tickets = clean_frames["tickets"]
    opened = tickets.filter(pl.col("status") == "OPEN")
    assert opened["resolved_at"].null_count() == opened.height
    resolved = tickets.filter(pl.col("status") == "RESOLVED").join(
        opened.select("ticket_id", pl.col("updated_at").alias("opened_version")), on="ticket_id"
    )
    assert resolved.height > 0
    assert (resolved["resolved_at"] > resolved["opened_at"]).all()
    assert (resolved["updated_at"] > resolved["opened_version"]).all()
    never = opened.join(tickets.filter(pl.col("status") != "OPEN"), on="ticket_id", how="anti")
    assert never.height > 0


def test_activities_respect_games_and_vip_exclusivity(clean, clean_frames):
    world, _ = clean
    ref = load_reference()
    joined = clean_frames["activity_participation"]
    games = clean_frames["characters"].select("member_id", "game_code").unique()
    activity_game = dict(zip(ref.activities, ref.activity_game.tolist(), strict=True))
    specific = joined.with_columns(
        pl.col("activity_code")
        .replace_strict({a: (ref.games[g] if g >= 0 else None) for a, g in activity_game.items()})
        .alias("game_code")
    ).filter(pl.col("game_code").is_not_null())
    unmatched = specific.join(games, on=["member_id", "game_code"], how="anti")
    assert unmatched.height == 0
    vip_only = [a for a, v in zip(ref.activities, ref.activity_vip_only, strict=True) if v]
    vip_members = joined.filter(pl.col("activity_code").is_in(vip_only))["member_id"].unique()
    index = vip_members.str.slice(1).cast(pl.Int64).to_numpy() - 1
    spent = clean_frames["consumption"].group_by("member_id").agg(AMOUNT.sum())
    big = set(spent.filter(pl.col("amount_cny") >= ref.gold_threshold_cny)["member_id"])
    latent = world.truth.latent_vip[index]
    assert all(m in big or vip for m, vip in zip(vip_members, latent, strict=True))


def test_service_sources_carry_chinese_text_and_links(clean_frames):
    surveys = clean_frames["surveys"]
    assert surveys["score"].cast(pl.Int64).is_between(1, 5).all()
    low = surveys.filter(pl.col("score").cast(pl.Int64) <= 2)["comment"].drop_nulls()
    assert low.len() > 0 and low.str.contains(r"[\u4e00-\u9fff]").all()
    linked = surveys["contact_id"].drop_nulls()
    assert linked.is_in(clean_frames["contacts"]["contact_id"]).all()
    tags = clean_frames["manual_tags"]
    assert tags["entered_by"].str.starts_with("AM").all()
    assert set(tags["tag_code"]) >= {"RED_LIST", "PERSONALITY_NOTE", "CONTACT_PHONE"}
    security = clean_frames["security_events"]["event_type"].value_counts()
    assert security.height >= 4

"""Personalised recommendation: the 3 activities or mall items a member is most likely to take up.

A per-offer propensity model: one LightGBM binary classifier over (member, offer, as_of_date)
candidates, label = the member took the offer up (joined the activity, or redeemed the mall item)
within ``horizon_days`` after ``as_of_date``. Features see only data up to ``as_of_date``: the
member's own take-ups of the offer, of its kind and of its type (activity / mall item), logins
(overall and in the offer's game), tier, G-point balance and whether it covers the item's price,
and the offer's popularity over the last 30 days.

Evaluation is hit rate at 3 on a later period: among members who took up anything in
``(E, E + horizon]``, the share whose top 3 (as of E) holds one of those offers; the baseline
recommends the 3 most popular eligible offers of the 30 days up to E to everyone. The model
judged at E is trained only on label windows that end on or before E.

Eligibility: VIP-exclusive activities go only to members of tier gold and up. Population of a
day: every member with a login in the last 30 days or of tier gold and up.

Data in, data out: every function takes an open DuckDB connection to the warehouse (it reads
``staging``, ``marts`` and ``reference``; it creates only TEMP tables) and returns polars frames.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import duckdb
import lightgbm as lgb
import numpy as np
import polars as pl

log = logging.getLogger(__name__)

MODEL_NAME = "recommendation"
TOP_K = 3
LOOKBACK_DAYS = 30
LONG_LOOKBACK_DAYS = 90
VIP_TIER_CODE = "GOLD"
# Members scored at once: a member has a candidate row per offer (about 24), so this bounds the
# candidate frame near a million rows.
CHUNK_MEMBERS = 40_000

FEATURES = (
    "offer_index",
    "is_mall_item",
    "is_exclusive_vip",
    "points_price",
    "offer_popularity_30d",
    "offer_takeups_30d",
    "offer_takeups_90d",
    "days_since_offer_takeup",
    "kind_takeups_90d",
    "type_takeups_30d",
    "type_takeups_90d",
    "login_days_30d",
    "game_login_days_30d",
    "tier_rank",
    "points_balance",
    "points_cover_price",
)
CATEGORICAL_FEATURES = ("offer_index",)
KEY = ("as_of_date", "member_id", "offer_type", "offer_code")
OUTPUT_COLUMNS = (
    "member_id",
    "as_of_date",
    "rank",
    "offer_type",
    "offer_code",
    "offer_name",
    "offer_name_zh",
    "score",
    "version",
)


RECOMMENDATIONS_TABLE = "ml.member_recommendations"
RECOMMENDATIONS_DDL = f"""
create schema if not exists ml;
create table if not exists {RECOMMENDATIONS_TABLE} (
    member_id varchar,
    as_of_date date,
    rank integer,
    offer_type varchar,
    offer_code varchar,
    offer_name varchar,
    offer_name_zh varchar,
    score double,
    version varchar
)
"""


def ensure_recommendations_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``ml.member_recommendations`` when missing (dbt's action lists read it)."""
    con.execute(RECOMMENDATIONS_DDL)


@dataclass(frozen=True)
class RecommenderConfig:
    """Windows, sampling and LightGBM settings of the recommender."""

    horizon_days: int = 14
    training_dates: int = 6
    date_step_days: int = 7
    # Training rows come from at most about this many members per as-of date (a deterministic
    # hash sample of the population), which bounds training time at any member count.
    max_training_members: int = 5000
    min_training_positives: int = 30
    num_boost_round: int = 150
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 50
    # One thread: the model is small, and LightGBM's OpenMP threads slow down many times over
    # when the cores are busy with anything else.
    num_threads: int = 1
    seed: int = 7


@dataclass(frozen=True)
class Recommender:
    """A trained recommender (or the popularity fallback when ``booster`` is None)."""

    version: str
    cutoff_date: dt.date
    booster: lgb.Booster | None
    training_rows: int
    training_positives: int

    def score(self, candidates: pl.DataFrame) -> np.ndarray:
        """Propensity per candidate row (popularity when there is no model)."""
        if self.booster is None:
            return candidates["offer_popularity_30d"].fill_null(0.0).to_numpy()
        return self.booster.predict(feature_matrix(candidates), num_threads=self.booster_threads)

    @property
    def booster_threads(self) -> int:
        return int(self.booster.params.get("num_threads", 1)) if self.booster else 1


@dataclass(frozen=True)
class HitRate:
    """Hit rate at 3 of the model and of the most-popular baseline on one later period."""

    as_of_date: dt.date
    horizon_days: int
    members_evaluated: int
    model_hit_rate: float
    baseline_hit_rate: float
    model_version: str

    @property
    def lift(self) -> float:
        """Model hit rate over baseline hit rate (nan when the baseline never hits)."""
        return self.model_hit_rate / self.baseline_hit_rate if self.baseline_hit_rate else np.nan


# --- inputs -------------------------------------------------------------------------------------


def prepare_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Create the TEMP tables every query here reads: offers, take-ups and login days."""
    con.execute(
        """
        create or replace temp table rec_offers as
        with offers as (
            select 'activity' as offer_type, activity_code as offer_code,
                activity_name_en as offer_name, activity_name_zh as offer_name_zh,
                activity_type as offer_kind, nullif(game_code, 'ALL') as game_code,
                cast(is_exclusive_vip as boolean) as is_exclusive_vip,
                cast(null as double) as points_price
            from reference.activities
            union all
            select 'mall_item', item_code, item_name_en, item_name_zh, item_type, null, false,
                cast(points_price as double)
            from reference.mall_items
        )
        select *, cast(row_number() over (order by offer_type, offer_code) - 1 as integer)
            as offer_index
        from offers
        """
    )
    con.execute(
        """
        create or replace temp table rec_takeups as
        select member_id, 'activity' as offer_type, activity_code as offer_code,
            participated_date as event_date
        from staging.stg_activity_participation__participations
        where member_id is not null and participated_date is not null
        union all
        select member_id, 'mall_item', item_code, exchanged_date
        from staging.stg_points_exchanges__exchanges
        where exchange_type = 'MALL_REDEEM' and item_code is not null and member_id is not null
            and exchanged_date is not null
        """
    )
    con.execute(
        """
        create or replace temp table rec_login_days as
        select distinct member_id, login_date, game_code
        from staging.stg_logins__sessions
        where member_id is not null and login_date is not null
        """
    )


def offers(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The offer catalogue (activities and mall items of the seeds) with names."""
    return _frame(con, "select * from rec_offers order by offer_index")


def data_span(con: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.date | None]:
    """First and last day with a login or a take-up."""
    return con.execute(
        """
        select min(d), max(d) from (
            select login_date as d from rec_login_days
            union all select event_date from rec_takeups
        )
        """
    ).fetchone()


def _frame(con: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> pl.DataFrame:
    return pl.from_arrow(con.sql(query, params=params).to_arrow_table())


def _set_dates(con: duckdb.DuckDBPyConnection, dates: list[dt.date]) -> None:
    con.execute("create or replace temp table rec_dates (as_of_date date)")
    con.executemany("insert into rec_dates values (?)", [(day,) for day in dates])


CANDIDATES_SQL = """
with
dates as (select as_of_date from rec_dates),
gold as (select min(tier_rank) as rank from reference.tiers where tier_code = $vip_tier),
login_days as (
    select d.as_of_date, l.member_id,
        count(distinct l.login_date) as login_days_30d
    from rec_login_days as l
    inner join dates as d
        on l.login_date <= d.as_of_date and l.login_date > d.as_of_date - $lookback
    group by all
),
game_login_days as (
    select d.as_of_date, l.member_id, l.game_code,
        count(distinct l.login_date) as game_login_days_30d
    from rec_login_days as l
    inner join dates as d
        on l.login_date <= d.as_of_date and l.login_date > d.as_of_date - $lookback
    group by all
),
tiers as (
    -- the latest tier row of the last week: the mart skips days that hold no data at all
    select d.as_of_date, t.member_id, arg_max(t.tier_rank, t.as_of_date) as tier_rank
    from marts.fct_member_tier_daily as t
    inner join dates as d
        on t.as_of_date <= d.as_of_date and t.as_of_date > d.as_of_date - 7
    group by all
),
population as (
    select as_of_date, member_id from login_days
    union
    select as_of_date, member_id from tiers where tier_rank >= (select rank from gold)
),
members as (
    select p.as_of_date, p.member_id,
        coalesce(l.login_days_30d, 0) as login_days_30d,
        coalesce(t.tier_rank, 0) as tier_rank
    from population as p
    left join login_days as l using (as_of_date, member_id)
    left join tiers as t using (as_of_date, member_id)
    -- a deterministic sample (training) and one chunk of members (scoring in parts)
    where ($member_share >= 1.0
            or hash(p.member_id || 'recommend') % 1000000 < $member_share * 1000000)
        and ($chunks <= 1 or hash(p.member_id || 'chunk') % $chunks = $chunk)
),
balances as (
    select d.as_of_date, b.member_id, b.balance as points_balance
    from marts.fct_points_balance_daily as b
    inner join dates as d
        on b.balance_date <= d.as_of_date
        and (b.valid_to is null or d.as_of_date <= b.valid_to)
),
recent_takeups as (
    select d.as_of_date, t.member_id, t.offer_type, t.offer_code, t.event_date
    from rec_takeups as t
    inner join dates as d
        on t.event_date <= d.as_of_date and t.event_date > d.as_of_date - $long_lookback
),
member_offer as (
    select as_of_date, member_id, offer_type, offer_code,
        count(*) filter (where event_date > as_of_date - $lookback) as offer_takeups_30d,
        count(*) as offer_takeups_90d,
        min(as_of_date - event_date) as days_since_offer_takeup
    from recent_takeups
    group by all
),
member_kind as (
    select r.as_of_date, r.member_id, o.offer_type, o.offer_kind,
        count(*) as kind_takeups_90d
    from recent_takeups as r
    inner join rec_offers as o using (offer_type, offer_code)
    group by all
),
member_type as (
    select as_of_date, member_id, offer_type,
        count(*) filter (where event_date > as_of_date - $lookback) as type_takeups_30d,
        count(*) as type_takeups_90d
    from recent_takeups
    group by all
),
popularity as (
    select r.as_of_date, r.offer_type, r.offer_code,
        count(distinct r.member_id) as takers
    from recent_takeups as r
    where r.event_date > r.as_of_date - $lookback
    group by all
),
population_size as (
    select as_of_date, count(*) as members from population group by all
),
final as (
    select
        m.as_of_date,
        m.member_id,
        o.offer_type,
        o.offer_code,
        o.offer_index,
        cast(o.offer_type = 'mall_item' as integer) as is_mall_item,
        cast(o.is_exclusive_vip as integer) as is_exclusive_vip,
        o.points_price,
        coalesce(p.takers, 0) / s.members as offer_popularity_30d,
        coalesce(mo.offer_takeups_30d, 0) as offer_takeups_30d,
        coalesce(mo.offer_takeups_90d, 0) as offer_takeups_90d,
        mo.days_since_offer_takeup,
        coalesce(mk.kind_takeups_90d, 0) as kind_takeups_90d,
        coalesce(mt.type_takeups_30d, 0) as type_takeups_30d,
        coalesce(mt.type_takeups_90d, 0) as type_takeups_90d,
        m.login_days_30d,
        case
            when o.game_code is null then m.login_days_30d
            else coalesce(g.game_login_days_30d, 0)
        end as game_login_days_30d,
        m.tier_rank,
        coalesce(b.points_balance, 0) as points_balance,
        case
            when o.points_price is null then null
            else cast(coalesce(b.points_balance, 0) >= o.points_price as integer)
        end as points_cover_price
    from members as m
    cross join rec_offers as o
    inner join population_size as s on s.as_of_date = m.as_of_date
    left join popularity as p
        on p.as_of_date = m.as_of_date and p.offer_type = o.offer_type
        and p.offer_code = o.offer_code
    left join member_offer as mo
        on mo.as_of_date = m.as_of_date and mo.member_id = m.member_id
        and mo.offer_type = o.offer_type and mo.offer_code = o.offer_code
    left join member_kind as mk
        on mk.as_of_date = m.as_of_date and mk.member_id = m.member_id
        and mk.offer_type = o.offer_type and mk.offer_kind = o.offer_kind
    left join member_type as mt
        on mt.as_of_date = m.as_of_date and mt.member_id = m.member_id
        and mt.offer_type = o.offer_type
    left join game_login_days as g
        on g.as_of_date = m.as_of_date and g.member_id = m.member_id
        and g.game_code = o.game_code
    left join balances as b on b.as_of_date = m.as_of_date and b.member_id = m.member_id
    where not o.is_exclusive_vip or m.tier_rank >= (select rank from gold)
)
select * from final
order by as_of_date, member_id, offer_index
"""


def candidate_features(
    con: duckdb.DuckDBPyConnection,
    dates: list[dt.date],
    member_share: float = 1.0,
    chunk: tuple[int, int] = (0, 1),
) -> pl.DataFrame:
    """One row per (as_of_date, member of that day's population, eligible offer) with the
    features, using only data up to each as_of_date. ``member_share`` < 1 keeps a deterministic
    sample of members (for training); ``chunk`` = (k, n) keeps the k-th of n member chunks
    (features do not depend on the chunk: popularity counts the whole population)."""
    _set_dates(con, dates)
    return _frame(
        con,
        CANDIDATES_SQL,
        {
            "vip_tier": VIP_TIER_CODE,
            "lookback": LOOKBACK_DAYS,
            "long_lookback": LONG_LOOKBACK_DAYS,
            "member_share": member_share,
            "chunk": chunk[0],
            "chunks": chunk[1],
        },
    )


def takeup_labels(
    con: duckdb.DuckDBPyConnection, dates: list[dt.date], horizon_days: int
) -> pl.DataFrame:
    """(as_of_date, member_id, offer_type, offer_code) taken up in (as_of_date, + horizon]."""
    _set_dates(con, dates)
    return _frame(
        con,
        """
        select distinct d.as_of_date, t.member_id, t.offer_type, t.offer_code
        from rec_takeups as t
        inner join rec_dates as d
            on t.event_date > d.as_of_date and t.event_date <= d.as_of_date + $horizon
        """,
        {"horizon": horizon_days},
    )


def with_labels(candidates: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """Candidates with ``took_up`` (1 when the member took the offer up in the horizon)."""
    marked = labels.with_columns(pl.lit(1, dtype=pl.Int8).alias("took_up"))
    return candidates.join(marked, on=list(KEY), how="left").with_columns(
        pl.col("took_up").fill_null(0)
    )


def feature_matrix(candidates: pl.DataFrame) -> np.ndarray:
    """The model's input, columns in ``FEATURES`` order."""
    return candidates.select(pl.col(name).cast(pl.Float64) for name in FEATURES).to_numpy()


# --- training -----------------------------------------------------------------------------------


def training_dates(cutoff: dt.date, first_day: dt.date, config: RecommenderConfig) -> list[dt.date]:
    """As-of dates whose label window ends on or before ``cutoff``, newest first, each with at
    least a lookback of history after ``first_day``."""
    latest = cutoff - dt.timedelta(days=config.horizon_days)
    earliest = first_day + dt.timedelta(days=LOOKBACK_DAYS - 1)
    dates = [
        latest - dt.timedelta(days=config.date_step_days * k) for k in range(config.training_dates)
    ]
    return [day for day in dates if day >= earliest]


def train_recommender(
    con: duckdb.DuckDBPyConnection, cutoff: dt.date, config: RecommenderConfig | None = None
) -> Recommender:
    """Train on label windows ending on or before ``cutoff`` (data up to ``cutoff`` only).

    Falls back to the popularity ranking, with a version saying so, when the history holds
    fewer than ``min_training_positives`` take-ups to learn from.
    """
    config = config or RecommenderConfig()
    first_day, _ = data_span(con)
    dates = training_dates(cutoff, first_day, config) if first_day else []
    rows = pl.DataFrame()
    if dates:
        rows = with_labels(
            candidate_features(con, dates, _member_share(con, cutoff, config)),
            takeup_labels(con, dates, config.horizon_days),
        )
    positives = int(rows["took_up"].sum()) if rows.height else 0
    if positives < config.min_training_positives:
        log.info("recommender at %s: %d positives, popularity fallback", cutoff, positives)
        return Recommender(f"popularity@{cutoff.isoformat()}", cutoff, None, rows.height, positives)
    booster = lgb.train(
        _params(config),
        lgb.Dataset(
            feature_matrix(rows),
            label=rows["took_up"].to_numpy(),
            feature_name=list(FEATURES),
            categorical_feature=list(CATEGORICAL_FEATURES),
            free_raw_data=True,
        ),
        num_boost_round=config.num_boost_round,
    )
    return Recommender(f"lgbm@{cutoff.isoformat()}", cutoff, booster, rows.height, positives)


def _member_share(
    con: duckdb.DuckDBPyConnection, cutoff: dt.date, config: RecommenderConfig
) -> float:
    """The share of members to train on: about ``max_training_members`` of the members who
    logged in during the 30 days before ``cutoff``."""
    (active,) = con.execute(
        "select count(distinct member_id) from rec_login_days "
        "where login_date <= ? and login_date > ?",
        [cutoff, cutoff - dt.timedelta(days=LOOKBACK_DAYS)],
    ).fetchone()
    return min(1.0, config.max_training_members / active) if active else 1.0


def _params(config: RecommenderConfig) -> dict:
    return {
        "objective": "binary",
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": 0.9,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "num_threads": config.num_threads,
        "seed": config.seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }


# --- ranking and evaluation ---------------------------------------------------------------------


def top_offers(candidates: pl.DataFrame, scores: np.ndarray, k: int = TOP_K) -> pl.DataFrame:
    """The k best offers per (as_of_date, member): rank 1..k, ties broken by offer code."""
    return (
        candidates.select(*KEY)
        .with_columns(pl.Series("score", scores, dtype=pl.Float64))
        .sort(
            ["as_of_date", "member_id", "score", "offer_type", "offer_code"],
            descending=[False, False, True, False, False],
        )
        .with_columns(pl.int_range(1, pl.len() + 1).over("as_of_date", "member_id").alias("rank"))
        .filter(pl.col("rank") <= k)
        .with_columns(pl.col("rank").cast(pl.Int32))
    )


def recommend(
    con: duckdb.DuckDBPyConnection,
    recommender: Recommender,
    day: dt.date,
    chunk_members: int = CHUNK_MEMBERS,
) -> pl.DataFrame:
    """The top 3 offers of every member of ``day``'s population, in the columns of
    ``ml.member_recommendations``; scored ``chunk_members`` members at a time, so memory stays
    bounded (a member has a candidate row per offer)."""
    chunks = max(1, -(-_population_upper_bound(con, day) // chunk_members))
    tops = []
    for chunk in range(chunks):
        candidates = candidate_features(con, [day], chunk=(chunk, chunks))
        tops.append(top_offers(candidates, recommender.score(candidates)))
    names = offers(con).select("offer_type", "offer_code", "offer_name", "offer_name_zh")
    return (
        pl.concat(tops)
        .sort("member_id", "rank")
        .join(names, on=["offer_type", "offer_code"], how="left", maintain_order="left")
        .with_columns(pl.lit(recommender.version).alias("version"))
        .select(OUTPUT_COLUMNS)
    )


def _population_upper_bound(con: duckdb.DuckDBPyConnection, day: dt.date) -> int:
    """Members who logged in within the lookback, plus every member with a tier row that day
    (an upper bound of the population, only used to size the chunks)."""
    (count,) = con.execute(
        """
        select (select count(distinct member_id) from rec_login_days
                where login_date <= $day and login_date > $since)
            + (select count(distinct member_id) from marts.fct_member_tier_daily
               where as_of_date <= $day and as_of_date > $day - 7 and tier_rank > 0)
        """,
        {"day": day, "since": day - dt.timedelta(days=LOOKBACK_DAYS)},
    ).fetchone()
    return int(count)


def hit_rate_at_k(top: pl.DataFrame, labels: pl.DataFrame) -> tuple[float, int]:
    """Share of members with any take-up in the horizon whose top k holds one of them, and
    how many such members there were (members outside the population count as misses)."""
    takers = labels.select("as_of_date", "member_id").unique()
    if takers.is_empty():
        return float("nan"), 0
    hits = top.join(labels, on=list(KEY), how="inner").select("as_of_date", "member_id").unique()
    return hits.height / takers.height, takers.height


def evaluate_hit_rate(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, config: RecommenderConfig | None = None
) -> HitRate:
    """Train on windows ending by ``as_of`` and measure hit rate at 3 over
    ``(as_of, as_of + horizon]`` against the most-popular baseline."""
    config = config or RecommenderConfig()
    recommender = train_recommender(con, as_of, config)
    candidates = candidate_features(con, [as_of])
    labels = takeup_labels(con, [as_of], config.horizon_days)
    model_rate, takers = hit_rate_at_k(
        top_offers(candidates, recommender.score(candidates)), labels
    )
    popularity = candidates["offer_popularity_30d"].to_numpy()
    baseline_rate, _ = hit_rate_at_k(top_offers(candidates, popularity), labels)
    return HitRate(
        as_of, config.horizon_days, takers, model_rate, baseline_rate, recommender.version
    )

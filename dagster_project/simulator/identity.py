"""Personal data as a real profile database holds it: Chinese names, phones, e-mails.

Phones: most profiles carry a valid 11-digit mainland mobile (1[3-9]xxxxxxxxx); some carry a
formatted variant that cleans to it, some a malformed or placeholder number, some none.
"""

from __future__ import annotations

import numpy as np
import polars as pl

# (surname, pinyin), most common first.
SURNAMES = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("潘", "pan"),
    ("袁", "yuan"),
)
GIVEN_NAMES = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("英", "ying"),
    ("华", "hua"),
    ("玉", "yu"),
    ("红", "hong"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("鑫", "xin"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("晨", "chen"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("琳", "lin"),
    ("欣", "xin"),
    ("佳", "jia"),
    ("怡", "yi"),
    ("涵", "han"),
    ("轩", "xuan"),
    ("博", "bo"),
    ("文", "wen"),
    ("思", "si"),
    ("睿", "rui"),
    ("然", "ran"),
    ("泽", "ze"),
    ("嘉", "jia"),
    ("晓", "xiao"),
    ("天", "tian"),
    ("志", "zhi"),
    ("海", "hai"),
    ("俊", "jun"),
    ("建", "jian"),
    ("东", "dong"),
    ("子", "zi"),
    ("梓", "zi"),
)
EMAIL_DOMAINS = ("163.com", "126.com", "sina.com", "gmail.com", "outlook.com", "foxmail.com")
PLACEHOLDER_PHONES = ("13800000000", "13900000000", "11111111111")
LANDLINE_AREAS = ("010", "021", "020", "0755", "0571", "028")

# Shares of profile phone shapes (the rest is a plain 11-digit mobile).
PHONE_SHAPES = {"formatted": 0.10, "malformed": 0.03, "placeholder": 0.02, "missing": 0.03}
# Shares of profile e-mail shapes (the rest is a clean address).
EMAIL_SHAPES = {"messy": 0.05, "malformed": 0.02, "missing": 0.12}


def _zipf_weights(count: int, exponent: float = 0.7) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


def _pick(labels: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    return pl.Series(labels, dtype=pl.String).gather(codes)


def real_names(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Surname and one or two given-name characters, as code arrays (-1 = no second char)."""
    surname = rng.choice(len(SURNAMES), size=size, p=_zipf_weights(len(SURNAMES)))
    first = rng.integers(0, len(GIVEN_NAMES), size=size)
    second = np.where(rng.random(size) < 0.7, rng.integers(0, len(GIVEN_NAMES), size=size), -1)
    return surname, first, second


def render_names(surname: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Chinese full names (object array)."""
    given = [g for g, _ in GIVEN_NAMES]
    second_char = _pick((*given, ""), np.where(second < 0, len(given), second))
    names = pl.select(
        pl.concat_str(
            [_pick(tuple(s for s, _ in SURNAMES), surname), _pick(tuple(given), first), second_char]
        )
    ).to_series()
    return names.to_numpy().astype(object)


def mobile_numbers(rng: np.random.Generator, size: int) -> np.ndarray:
    """Valid mainland mobiles 1[3-9]xxxxxxxxx as int64."""
    second_digit = rng.integers(3, 10, size=size)
    return 10_000_000_000 + second_digit * 1_000_000_000 + rng.integers(0, 1_000_000_000, size=size)


def format_mobiles(numbers: np.ndarray, style: np.ndarray) -> pl.Series:
    """Render mobiles: style 0 plain, 1 "+86 138 1234 5678", 2 "138-1234-5678", 3 "+86138..."."""
    plain = pl.Series(numbers).cast(pl.String)
    head, mid, tail = plain.str.slice(0, 3), plain.str.slice(3, 4), plain.str.slice(7, 4)
    frame = pl.DataFrame({"plain": plain, "head": head, "mid": mid, "tail": tail, "style": style})
    return frame.select(
        pl.when(pl.col("style") == 1)
        .then(pl.concat_str([pl.lit("+86 "), "head", pl.lit(" "), "mid", pl.lit(" "), "tail"]))
        .when(pl.col("style") == 2)
        .then(pl.concat_str(["head", pl.lit("-"), "mid", pl.lit("-"), "tail"]))
        .when(pl.col("style") == 3)
        .then(pl.concat_str([pl.lit("+86"), "plain"]))
        .otherwise(pl.col("plain"))
    ).to_series()


def profile_phones(
    rng: np.random.Generator, true_phones: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Self-reported phones for the given true phones, and whether each cleans to the true one."""
    size = true_phones.size
    shape = rng.random(size)
    cut = np.cumsum(list(PHONE_SHAPES.values()))
    style = np.where(shape < cut[0], rng.integers(1, 4, size=size), 0)
    phones = format_mobiles(true_phones, style).to_numpy().astype(object)
    malformed = (shape >= cut[0]) & (shape < cut[1])
    placeholder = (shape >= cut[1]) & (shape < cut[2])
    missing = (shape >= cut[2]) & (shape < cut[3])
    phones[malformed] = _malformed_phones(rng, true_phones[malformed])
    phones[placeholder] = np.array(PLACEHOLDER_PHONES, dtype=object)[
        rng.integers(0, len(PLACEHOLDER_PHONES), size=int(placeholder.sum()))
    ]
    phones[missing] = None
    return phones, ~(malformed | placeholder | missing)


def _malformed_phones(rng: np.random.Generator, true_phones: np.ndarray) -> np.ndarray:
    """Truncated mobiles ("1381234") or landlines ("021-6234567")."""
    size = true_phones.size
    truncated = pl.Series(true_phones).cast(pl.String).str.slice(0, 7)
    areas = _pick(LANDLINE_AREAS, rng.integers(0, len(LANDLINE_AREAS), size=size))
    local = pl.Series(rng.integers(2_000_000, 9_000_000, size=size)).cast(pl.String)
    landline = pl.select(pl.concat_str([areas, pl.lit("-"), local])).to_series()
    use_landline = pl.Series(rng.random(size) < 0.5)
    return (
        pl.select(pl.when(use_landline).then(landline).otherwise(truncated)).to_series().to_numpy()
    )


def emails(rng: np.random.Generator, surname: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Self-reported e-mails: QQ numbers or pinyin at common providers, some messy or missing."""
    size = surname.size
    pinyin = pl.select(
        pl.concat_str(
            [
                _pick(tuple(p for _, p in SURNAMES), surname),
                _pick(tuple(p for _, p in GIVEN_NAMES), first),
                pl.Series(rng.integers(1, 1000, size=size)).cast(pl.String),
                pl.lit("@"),
                _pick(EMAIL_DOMAINS, rng.integers(0, len(EMAIL_DOMAINS), size=size)),
            ]
        )
    ).to_series()
    qq = pl.select(
        pl.concat_str(
            [
                pl.Series(rng.integers(100_000, 3_000_000_000, size=size)).cast(pl.String),
                pl.lit("@qq.com"),
            ]
        )
    ).to_series()
    clean = pl.select(
        pl.when(pl.Series(rng.random(size) < 0.4)).then(qq).otherwise(pinyin)
    ).to_series()
    shape = rng.random(size)
    cut = np.cumsum(list(EMAIL_SHAPES.values()))
    shaped = pl.DataFrame({"email": clean, "shape": shape}).select(
        pl.when(pl.col("shape") < cut[0])
        .then(pl.concat_str([pl.lit(" "), pl.col("email").str.to_uppercase()]))
        .when(pl.col("shape") < cut[1])
        .then(pl.col("email").str.replace("@", ""))
        .when(pl.col("shape") < cut[2])
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col("email"))
    )
    return shaped.to_series().to_numpy().astype(object)

"""Control group and uplift of the playbook.  Pure stdlib / pandas; no Odoo
import.

**Hold-out.**  A customer who qualifies for a follow-up is held out (gets no
action) when its 64-bit hash is below ``share_pct`` % of 2**64:

* canonical string ``f"{company_id}:{partner_id}:{period_key}"``: both ids as
  decimal integers without sign or padding, ``period_key`` a string as given
  (e.g. the period start ``"2024-06-01"``; the same key gives the same draw, a
  new key a new one), encoded in UTF-8;
* hash ``h`` = the first 8 bytes of its SHA-256 digest read as an unsigned
  big-endian integer (the first 16 hex digits), ``0 <= h < 2**64``;
* held out when ``h * 10_000 < bp * 2**64`` with ``bp`` the share in basis
  points (``10.0`` % -> ``1000``), in integers: 0 % holds nobody out, 100 %
  everybody.  Equivalently ``h < holdout_limit(share_pct)``.

An SQL twin: ``('x' || left(encode(sha256(convert_to(company_id::text || ':'
|| partner_id::text || ':' || period_key, 'UTF8')), 'hex'), 16))::bit(64)::bigint``
gives ``h`` as a *signed* bigint ``s`` (``h = s + 2**64`` when ``s < 0``).

**Uplift.**  Per playbook kind and previous grade, the win-back rate of the
treated customers against the held-out ones.  The 95 % interval of the
difference is Newcombe's hybrid score interval (method 10 of Newcombe, *Stat
Med* 1998; 17: 873-890) built on the two Wilson score intervals:
``L = d - sqrt((p1 - l1)**2 + (u2 - p2)**2)``, ``U = d + sqrt((u1 - p1)**2 +
(p2 - l2)**2)`` with ``d = p1 - p2`` (treated minus held out).

*Enough to conclude* (:data:`MIN_OUTCOMES`): each group has at least 5
customers won back and at least 5 not won back (the usual condition for
comparing two proportions; it implies at least 10 customers per group).
"""

import hashlib
import math

import numpy as np
import pandas as pd

from .grading import GRADES, to_basis_points

#: the two-sided 95 % normal quantile
Z95 = 1.959963984540054
GROUPS = ("treated", "held_out")
MIN_OUTCOMES = 5
_FULL_BP = 10_000
_SPACE = 2**64
TABLE_COLUMNS = [
    "kind",
    "previous_grade",
    "is_total",
    "treated",
    "held_out",
    "treated_wins",
    "held_out_wins",
    "treated_rate_pct",
    "held_out_rate_pct",
    "uplift_pp",
    "ci_low_pp",
    "ci_high_pp",
    "treated_amount",
    "held_out_amount",
    "treated_amount_per_customer",
    "held_out_amount_per_customer",
    "amount_uplift_per_customer",
    "enough",
]


def canonical_key(company_id: int, partner_id: int, period_key: str) -> str:
    """The string that is hashed: ``"company:partner:period_key"``.

    >>> canonical_key(1, 42, "2024-06-01")
    '1:42:2024-06-01'
    """
    if not isinstance(period_key, str):
        raise TypeError("period_key must be a string")
    return f"{int(company_id)}:{int(partner_id)}:{period_key}"


def hash64(company_id: int, partner_id: int, period_key: str) -> int:
    """The unsigned 64-bit hash of :func:`canonical_key` (first 8 bytes of
    SHA-256, big-endian), stable across processes and Python versions.

    >>> hash64(1, 42, "2024-06-01") == int(hashlib.sha256(b"1:42:2024-06-01").hexdigest()[:16], 16)
    True
    """
    digest = hashlib.sha256(canonical_key(company_id, partner_id, period_key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def holdout_limit(share_pct: float) -> int:
    """The exclusive upper bound of the held-out hashes: the smallest integer
    ``>= bp * 2**64 / 10_000`` (``bp``: ``share_pct`` in basis points, 0-10,000).

    >>> (holdout_limit(0), holdout_limit(10), holdout_limit(100) == 2**64)
    (0, 1844674407370955162, True)
    """
    bp = to_basis_points(share_pct)
    if not 0 <= bp <= _FULL_BP:
        raise ValueError("share_pct must be between 0 and 100")
    return -(-bp * _SPACE // _FULL_BP)


def holdout(company_id: int, partner_id: int, period_key: str, share_pct: float) -> bool:
    """Whether the customer is held out of the follow-ups of ``period_key``
    (``share_pct`` percent of the customers are, see the module docstring).

    >>> (holdout(1, 42, "2024-06-01", 0), holdout(1, 42, "2024-06-01", 100))
    (False, True)
    """
    return hash64(company_id, partner_id, period_key) < holdout_limit(share_pct)


def holdouts(frame: pd.DataFrame, share_pct: float) -> pd.Series:
    """:func:`holdout` of each row of ``frame`` (``company_id``,
    ``partner_id``, ``period_key``), a boolean Series on its index.

    >>> f = pd.DataFrame({"company_id": [1, 1], "partner_id": [42, 43], "period_key": ["2024-06-01"] * 2})
    >>> holdouts(f, 100).tolist()
    [True, True]
    """
    limit = holdout_limit(share_pct)
    if limit == 0 or limit == _SPACE:
        return pd.Series(limit == _SPACE, index=frame.index, dtype=bool)
    periods = frame["period_key"].tolist()
    if not all(isinstance(key, str) for key in periods):
        raise TypeError("period_key must be a string")
    companies = frame["company_id"].to_numpy(dtype=np.int64).tolist()
    partners = frame["partner_id"].to_numpy(dtype=np.int64).tolist()
    sha256 = hashlib.sha256
    prefixes = b"".join(
        sha256(f"{company}:{partner}:{key}".encode()).digest()[:8]
        for company, partner, key in zip(companies, partners, periods, strict=True)
    )
    hashes = np.frombuffer(prefixes, dtype=">u8")
    return pd.Series(hashes < np.uint64(limit), index=frame.index, dtype=bool)


def wilson_interval(wins: int, count: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval (no continuity correction) of ``wins / count``
    as fractions 0-1; ``count`` must be positive.

    >>> tuple(round(bound, 4) for bound in wilson_interval(15, 148))  # Newcombe 1998, single proportion
    (0.0624, 0.1605)
    """
    if count <= 0 or not 0 <= wins <= count:
        raise ValueError("need 0 <= wins <= count and count > 0")
    p = wins / count
    z2 = z * z
    centre = 2 * count * p + z2
    half = z * math.sqrt(z2 + 4 * count * p * (1 - p))
    denominator = 2 * (count + z2)
    low = 0.0 if wins == 0 else max(0.0, (centre - half) / denominator)
    high = 1.0 if wins == count else min(1.0, (centre + half) / denominator)
    return low, high


def newcombe_interval(wins1: int, count1: int, wins2: int, count2: int, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) of ``wins1 / count1 -
    wins2 / count2``, as fractions -1 to 1.

    >>> tuple(round(bound, 4) for bound in newcombe_interval(56, 70, 48, 80))  # Newcombe 1998, example (a)
    (0.0524, 0.3339)
    """
    p1, p2 = wins1 / count1, wins2 / count2
    l1, u1 = wilson_interval(wins1, count1, z)
    l2, u2 = wilson_interval(wins2, count2, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return max(-1.0, low), min(1.0, high)


def _row(kind, grade, is_total, counts, min_outcomes):
    treated, held_out, treated_wins, held_out_wins, treated_amount, held_out_amount = counts
    nan = float("nan")
    treated_rate = treated_wins / treated if treated else nan
    held_out_rate = held_out_wins / held_out if held_out else nan
    low = high = nan
    if treated and held_out:
        low, high = newcombe_interval(treated_wins, treated, held_out_wins, held_out)
    treated_per = treated_amount / treated if treated else nan
    held_out_per = held_out_amount / held_out if held_out else nan
    enough = min(treated_wins, treated - treated_wins, held_out_wins, held_out - held_out_wins) >= min_outcomes
    return [
        kind,
        grade,
        is_total,
        treated,
        held_out,
        treated_wins,
        held_out_wins,
        treated_rate * 100,
        held_out_rate * 100,
        (treated_rate - held_out_rate) * 100,
        low * 100,
        high * 100,
        treated_amount,
        held_out_amount,
        treated_per,
        held_out_per,
        treated_per - held_out_per,
        enough,
    ]


def uplift_table(frame: pd.DataFrame, min_outcomes: int = MIN_OUTCOMES) -> pd.DataFrame:
    """Treated against held-out results per playbook ``kind`` and previous grade.

    ``frame``: one row per (action, customer): ``kind`` (e.g. ``"visit"``),
    ``previous_grade`` (``"A"``-``"D"`` or None), ``group`` (one of
    :data:`GROUPS`), ``won_back`` (0 or 1) and ``won_amount`` (minor units).

    Returns :data:`TABLE_COLUMNS`, by kind (sorted): one row per previous grade
    present (A-D, then None = no previous grade), then a total row of the kind
    (``is_total`` True, ``previous_grade`` None).  Counts and amounts are
    integers; rates are percent, ``uplift_pp`` and its 95 % interval
    ``ci_low_pp`` / ``ci_high_pp`` percentage points (treated minus held out);
    ``*_amount_per_customer`` is the amount won back divided by all the
    customers of the group (float minor units).  Figures that need an empty
    group are NaN; ``enough`` is the rule of the module docstring.

    >>> f = pd.DataFrame({"kind": ["call"] * 4, "previous_grade": ["A", "A", "B", "B"],
    ...                   "group": ["treated", "held_out", "treated", "held_out"],
    ...                   "won_back": [1, 0, 1, 1], "won_amount": [500, 0, 300, 200]})
    >>> t = uplift_table(f)
    >>> t[["previous_grade", "is_total", "uplift_pp", "amount_uplift_per_customer", "enough"]].values.tolist()
    [['A', False, 100.0, 500.0, False], ['B', False, 0.0, 100.0, False], [None, True, 50.0, 300.0, False]]
    """
    if frame.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    unknown = set(frame["group"].unique()) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown group {sorted(unknown)!r}")
    won = frame["won_back"].to_numpy()
    if not np.isin(won, (0, 1)).all():
        raise ValueError("won_back must be 0 or 1")
    treated = (frame["group"] == "treated").to_numpy()
    parts = pd.DataFrame(
        {
            "kind": frame["kind"].to_numpy(),
            "grade": frame["previous_grade"].astype(object).where(frame["previous_grade"].notna(), "").to_numpy(),
            "treated": treated.astype(np.int64),
            "held_out": (~treated).astype(np.int64),
            "treated_wins": np.where(treated, won, 0).astype(np.int64),
            "held_out_wins": np.where(treated, 0, won).astype(np.int64),
            "treated_amount": np.where(treated, frame["won_amount"].to_numpy(), 0).astype(np.int64),
            "held_out_amount": np.where(treated, 0, frame["won_amount"].to_numpy()).astype(np.int64),
        }
    )
    sums = parts.groupby(["kind", "grade"], sort=False).sum()
    totals = sums.groupby(level="kind", sort=False).sum()
    order = {grade: index for index, grade in enumerate((*GRADES, ""))}
    rows = []
    for kind in sorted(totals.index):
        grades = sorted(sums.loc[kind].index, key=lambda grade: order.get(grade, len(order)))
        for grade in grades:
            counts = [int(value) for value in sums.loc[(kind, grade)]]
            rows.append(_row(kind, grade or None, False, counts, min_outcomes))
        rows.append(_row(kind, None, True, [int(value) for value in totals.loc[kind]], min_outcomes))
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)

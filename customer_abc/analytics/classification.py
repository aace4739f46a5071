"""One chunk of customers through the rules: history rows of the graded
periods and profile rows, with the global figures of each period (the
ranking of every buyer) given from outside.  Pure pandas; no Odoo import.

The classification reads its customers in chunks so that memory does not
grow with the book.  What must be global is the ranking of a period (the
cumulative share of a customer depends on every other buyer): it is
computed once per period from a narrow frame of every buyer
(:func:`rank_buyers`), then applied to each chunk (:func:`grade_chunk`), so
that a chunk's grades are those of grading all customers at once.

Chunk frame (one row per customer, amounts in integer minor units):
``partner_id``, ``customer`` (a customer of the company), ``created``,
``first_order_date``, ``last_order_date``, ``lifetime_count``,
``lifetime_amount``, per wanted period ``i``: ``amount_i``, ``count_i``,
``last_i`` (last order date before the period's end), ``orders_i`` (orders
before the end), the trend window figures, ``median_gap``.
"""

from datetime import date, timedelta

import numpy as np
import pandas as pd

from . import grading, profiles

#: history columns of a chunk, in the order they are staged
HISTORY_COLUMNS = [
    "partner_id",
    "period_start",
    "period_end",
    "grade",
    "previous_grade",
    "grade_change",
    "amount",
    "order_count",
    "share_pct",
    "cumulative_share_pct",
    "rank",
    "lifecycle",
]


def rank_buyers(partner_id: np.ndarray, amount: np.ndarray, order_count: np.ndarray) -> pd.DataFrame:
    """The ranking of one period over every buyer of the company.

    Returns :func:`.grading.rank_shares` of the buyers, indexed by
    ``partner_id``, with its ``total`` in ``attrs``.

    >>> r = rank_buyers(np.array([7, 3]), np.array([100, 300]), np.array([1, 2]))
    >>> r[["rank", "amount_before"]].values.tolist(), r.attrs["total"]
    ([[2, 300], [1, 0]], 400)
    """
    frame = pd.DataFrame(
        {
            "partner_id": np.asarray(partner_id, dtype=np.int64),
            "amount": np.asarray(amount, dtype=np.int64),
            "order_count": np.asarray(order_count, dtype=np.int64),
        }
    )
    ranked = grading.rank_shares(frame).set_index("partner_id")
    ranked.attrs["total"] = frame.loc[(frame["amount"] > 0) & (frame["order_count"] > 0), "amount"].sum()
    ranked.attrs["total"] = int(ranked.attrs["total"])
    return ranked


def _apply_ranking(period: pd.DataFrame, ranked: pd.DataFrame) -> pd.DataFrame:
    """``period`` (``partner_id``, ``amount``, ``order_count``) with the
    global ranking's columns; customers who bought nothing get rank 0."""
    result = period.reset_index(drop=True).copy()
    found = ranked.reindex(result["partner_id"])
    hit = found["rank"].notna().to_numpy()
    result["rank"] = np.where(hit, found["rank"].fillna(0).to_numpy(), 0).astype(np.int64)
    result["amount_before"] = np.where(hit, found["amount_before"].fillna(0).to_numpy(), 0).astype(np.int64)
    result["share_pct"] = np.where(hit, found["share_pct"].fillna(0.0).to_numpy(), 0.0)
    result["cumulative_share_pct"] = np.where(hit, found["cumulative_share_pct"].fillna(0.0).to_numpy(), 0.0)
    result.attrs["total"] = ranked.attrs["total"]
    return result


def lifecycle_at(chunk: pd.DataFrame, index: int, end: date, rules: profiles.Rules) -> pd.Series:
    """Lifecycle of the customers of ``chunk`` on the last day of the wanted
    period ``index`` (exclusive ``end``), from their orders until then."""
    first = chunk["first_order_date"]
    as_of = pd.DataFrame(
        {
            "first_order_date": [day if day is not None and day < end else None for day in first],
            "last_order_date": chunk[f"last_{index}"].to_numpy(),
            "lifetime_count": chunk[f"orders_{index}"].to_numpy(),
            "median_gap": chunk["median_gap"].to_numpy(),
        }
    )
    return profiles.lifecycle_by_rules(as_of, end - timedelta(days=1), rules)


def grade_chunk(
    chunk: pd.DataFrame,
    wanted: list,
    todo: list,
    ranked: dict,
    previous_grades,
    method: str,
    thresholds: tuple,
    shares: tuple,
    rules: profiles.Rules,
) -> pd.DataFrame:
    """History rows of the periods ``todo`` (``(start, end)``, oldest first;
    each in ``wanted``) for the customers of ``chunk``.

    A customer has a row in a period when it had ordered or had become a
    customer before the period's end.  ``ranked`` maps each period of
    ``todo`` to :func:`rank_buyers` of that period; ``previous_grades`` maps
    a partner id to its stored grade of the period before ``todo[0]`` (a
    dict or a Series indexed by partner id).
    Grades are those of :func:`.grading.grade_period` on every customer.
    """
    rows = []
    previous = pd.Series(previous_grades, dtype=object)
    first = chunk["first_order_date"]
    created = chunk["created"]
    for start, end in todo:
        index = wanted.index((start, end))
        eligible = (first.notna() & first.map(lambda day, end=end: day is not None and day < end)) | created.map(
            lambda day, end=end: day is not None and day == day and day < end
        )
        eligible = eligible.astype(bool).to_numpy()
        period = pd.DataFrame(
            {
                "partner_id": chunk["partner_id"].to_numpy()[eligible],
                "amount": chunk[f"amount_{index}"].to_numpy()[eligible],
                "order_count": chunk[f"count_{index}"].to_numpy()[eligible],
            }
        )
        graded = _apply_ranking(period, ranked[(start, end)])
        if method == "fixed":
            graded["grade"] = grading.grade_fixed(graded, *thresholds)
        elif method == "share":
            graded["grade"] = grading.grade_share(graded, *shares)
        else:
            raise ValueError(f"unknown grading method {method!r}")
        graded["previous_grade"] = graded["partner_id"].map(previous)
        graded["previous_grade"] = [value if isinstance(value, str) else None for value in graded["previous_grade"]]
        graded["grade_change"] = grading.grade_changes(
            pd.Series(graded["previous_grade"], dtype=object), graded["grade"]
        )
        graded["period_start"] = start
        graded["period_end"] = end
        graded["lifecycle"] = lifecycle_at(chunk.loc[eligible], index, end, rules).to_numpy()
        rows.append(graded[HISTORY_COLUMNS])
        previous = graded.set_index("partner_id")["grade"]
    if not rows:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    return pd.concat(rows, ignore_index=True)

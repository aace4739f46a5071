"""The settings of one classification run of one company, frozen."""

import hashlib
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

import pytz

from ..analytics import grading, periods, profiles, trends

#: bump when a version computes new figures for every customer (2: RFM and the
#: next expected order), so that the first run after an upgrade is a full one
FIGURES_VERSION = 2


@dataclass(frozen=True)
class RunSettings:
    """Everything a run of one company needs, as plain values: dates in the
    company's timezone, money thresholds in integer minor units.

    Built once per run by :meth:`for_company`; nothing reads the company's
    settings again during the run, so a settings change in the middle of a
    run cannot mix two sets of rules.
    """

    company_id: int
    today: date
    tz: str
    #: confirmed orders dated before this naive UTC instant are "until today"
    until_utc: datetime
    digits: int
    period: str
    #: the graded (last completed) period and the one before, ``(start, end)``
    period_bounds: tuple
    previous_bounds: tuple
    #: ``((current first, current last), (earlier first, earlier last))``, inclusive
    trend_windows: tuple
    trend_days: int
    method: str
    thresholds: tuple
    shares: tuple
    rules: profiles.Rules
    #: confirmed sale order states (``sale.report._get_done_states()``)
    states: tuple
    followup: bool

    @classmethod
    def for_company(cls, env, company, today=None):
        """The settings of ``company`` for a run as of ``today`` (a ``date``,
        default: today in the company's timezone)."""
        tz_name = company._abc_timezone()
        tz = pytz.timezone(tz_name)
        if today is None:
            today = datetime.now(pytz.utc).astimezone(tz).date()
        digits = company.currency_id.decimal_places
        bounds = periods.last_completed_periods(today, company.abc_period, 1)[0]
        tomorrow = tz.localize(datetime.combine(today + timedelta(days=1), time.min))
        return cls(
            company_id=company.id,
            today=today,
            tz=tz_name,
            until_utc=tomorrow.astimezone(pytz.utc).replace(tzinfo=None),
            digits=digits,
            period=company.abc_period,
            period_bounds=bounds,
            previous_bounds=periods.previous_period(bounds[0], company.abc_period),
            trend_windows=trends.window_bounds(today, company.abc_trend_days),
            trend_days=company.abc_trend_days,
            method=company.abc_method,
            thresholds=tuple(
                grading.to_minor_units(value, digits)
                for value in (company.abc_threshold_a, company.abc_threshold_b, company.abc_threshold_c)
            ),
            shares=(company.abc_share_a, company.abc_share_b),
            rules=profiles.Rules(
                new_days=company.abc_new_days,
                at_risk_days=company.abc_at_risk_days,
                churn_days=company.abc_churn_days,
                adaptive=company.abc_lifecycle_adaptive,
                at_risk_factor=company.abc_adaptive_at_risk_factor,
                churn_factor=company.abc_adaptive_churn_factor,
                surge_pct=company.abc_surge_pct,
                plunge_pct=company.abc_plunge_pct,
                trend_min_amount=grading.to_minor_units(company.abc_trend_min_amount, digits),
                trend_min_orders=company.abc_trend_min_orders,
            ),
            states=tuple(env["sale.report"]._get_done_states()),
            followup=company.abc_followup,
        )

    @property
    def scale(self):
        """Minor units per unit of the company currency."""
        return 10**self.digits

    def utc(self, day):
        """Local midnight starting ``day``, as the naive UTC timestamp
        ``date_order`` is stored in."""
        tz = pytz.timezone(self.tz)
        return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

    def to_json(self):
        """The settings as JSON-ready values (a run stores them in its plan,
        so that every step of the run grades with the same rules)."""
        values = asdict(self)
        for name in ("today",):
            values[name] = values[name].isoformat()
        values["until_utc"] = self.until_utc.isoformat()
        for name in ("period_bounds", "previous_bounds"):
            values[name] = [day.isoformat() for day in values[name]]
        values["trend_windows"] = [[day.isoformat() for day in window] for window in self.trend_windows]
        return values

    @classmethod
    def from_json(cls, values):
        values = dict(values)
        values["today"] = date.fromisoformat(values["today"])
        values["until_utc"] = datetime.fromisoformat(values["until_utc"])
        for name in ("period_bounds", "previous_bounds"):
            values[name] = tuple(date.fromisoformat(day) for day in values[name])
        values["trend_windows"] = tuple(
            tuple(date.fromisoformat(day) for day in window) for window in values["trend_windows"]
        )
        values["thresholds"] = tuple(values["thresholds"])
        values["shares"] = tuple(values["shares"])
        values["states"] = tuple(values["states"])
        values["rules"] = profiles.Rules(**values["rules"])
        return cls(**values)

    def rules_key(self):
        """Fingerprint of every setting that changes a figure of a period's
        grading or of a profile (not ``today``): when it differs from the
        previous run's, the run regrades every customer."""
        values = asdict(self)
        for name in ("today", "until_utc", "trend_windows", "period_bounds", "previous_bounds", "followup"):
            values.pop(name)
        # what a run computes: a version that adds figures regrades everyone once
        values["figures"] = FIGURES_VERSION
        return hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:16]

"""The classification in steps: runs in the background, resumable, the same
result in chunks and in one go, the nightly run on the changed customers
only and to the same figures as a full run, and users who never see two runs
mixed."""

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest.mock import patch

import numpy as np
import pandas as pd

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .. import compat
from ..hooks import post_init_hook
from ..models import customer_abc_classifier
from ..services import writer as writer_module
from ..services.settings import RunSettings
from ..services.writer import Writer
from .common import TODAY, CustomerAbcCase

DAY_AFTER = TODAY + timedelta(days=1)


@contextmanager
def _registry_test_mode_18(case):
    """Odoo 18: new cursors of the registry are test cursors (read-only ones too)."""
    case.env.flush_all()
    case.registry.enter_test_mode(case.env.cr)
    try:
        yield
    finally:
        case.registry.leave_test_mode()


@tagged("post_install", "-at_install")
class TestRuns(CustomerAbcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # runs the install queued are not these tests' business
        cls.env["customer.abc.run"].search([]).unlink()
        cls.buyers = [cls._customer(f"Run Buyer {index}") for index in range(7)]
        amounts = [150000.0, 90000.0, 60000.0, 30000.0, 12000.0, 5000.0, 800.0]
        for index, (partner, amount) in enumerate(zip(cls.buyers, amounts, strict=True)):
            cls._order(partner, amount, date(2024, 2, 3 + index))
            cls._order(partner, amount / 2, date(2024, 1, 10 + index))
            cls._order(partner, 100.0 * (index + 1), TODAY - timedelta(days=index * 9))
        cls.contact = cls.env["res.partner"].create({"name": "Buyer's buyer", "parent_id": cls.buyers[3].id})
        cls._order(cls.contact, 4000.0, date(2024, 2, 20))
        cls.idle = cls._customer("Run Idle")
        cls.Classifier = cls.env["customer.abc.classifier"]
        cls.Run = cls.env["customer.abc.run"]

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def _snapshot(self):
        """Every figure of the company's history and profiles."""
        self.env.flush_all()
        history = self.env.execute_query(
            SQL(
                "SELECT partner_id, period_start, grade, previous_grade, grade_change, amount, order_count, "
                "share_pct, cumulative_share_pct, rank, lifecycle, sync_hash, r_score, f_score, m_score, rfm_code, "
                "rfm_segment, rfm_recency_days, rfm_frequency, rfm_monetary FROM customer_abc_history "
                "WHERE company_id = %s ORDER BY partner_id, period_start",
                self.company.id,
            )
        )
        profiles = self.env.execute_query(
            SQL(
                "SELECT partner_id, grade, computed_grade, previous_grade, grade_change, period_amount, rank, "
                "share_pct, lifecycle, amount_trend, frequency_trend, growth_pct, median_gap_days, sync_hash, "
                "r_score, f_score, m_score, rfm_code, rfm_segment, rfm_frequency, rfm_monetary, order_day_count, "
                "gap_p25_days, gap_p75_days, expected_order_date "
                "FROM customer_abc_profile WHERE company_id = %s ORDER BY partner_id",
                self.company.id,
            )
        )
        return history, profiles

    def _run(self, kind, today=TODAY):
        self.Classifier._classify_company(self.company, today=today, kind=kind)
        return self.Run.search([("company_id", "=", self.company.id)], limit=1)

    def _age(self):
        """Make everything written so far look written yesterday, so that a
        nightly run tells it from what comes next."""
        self.env.flush_all()
        for table in ("sale_order", "res_partner"):
            self.env.cr.execute(SQL("UPDATE %s SET write_date = write_date - interval '1 day'", SQL.identifier(table)))
        self.env.cr.execute("UPDATE customer_abc_run SET watermark = watermark - interval '12 hours'")
        self.env.invalidate_all()

    # ------------------------------------------------------------
    # tests
    # ------------------------------------------------------------

    def test_a_run_goes_through_its_steps_and_leaves_no_stage_behind(self):
        run = self._run("manual")
        self.assertEqual((run.state, run.scope, run.step), ("done", "full", False))
        self.assertEqual(run.steps_done, run.steps_total)
        self.assertEqual(run.customers, 8)
        self.assertEqual(run.period_start, date(2024, 2, 1))
        self.assertEqual(set(run.phase_seconds), {"aggregate", "rfm", "grading", "history", "profiles", "playbook"})
        self.env.cr.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'customer_abc_stage%%'")
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def _run_to_publish(self, kind="manual"):
        """A run of ``kind`` stepped until its publication is next."""
        run = self.Classifier._request_run(self.company, kind)
        run.today = TODAY
        while run.step != "publish":
            self.Classifier.sudo()._run_step(run)
        return run

    def _backfill(self):
        """The backfill the install queues, run to its end a step at a time."""
        post_init_hook(self.env)
        run = self.Run.search([("company_id", "=", self.company.id), ("state", "=", "queued")])
        run.write({"today": TODAY})
        while run.state in ("queued", "running"):
            self.Classifier.sudo()._run_step(run)
        return run

    def _staged(self, run, table):
        """(partner id, kept, grade-or-computed grade) of a stage table of ``run``."""
        grade = "grade" if table == "history" else "computed_grade"
        return self.env.execute_query(
            SQL(
                "SELECT partner_id, kept, %s FROM %s ORDER BY partner_id",
                SQL.identifier(grade),
                SQL.identifier(f"customer_abc_stage_{table}_{run.id}"),
            )
        )

    def test_a_full_run_stages_only_the_keys_of_the_rows_it_keeps(self):
        self._run("manual")
        stored = self._snapshot()
        self._order(self.buyers[6], 200000.0, date(2024, 2, 25))  # the smallest buyer becomes the largest
        # scores the quintiles would not give: the run must put them right although it keeps the rows
        self.env.cr.execute(
            SQL(
                "UPDATE customer_abc_profile SET r_score = 0, rfm_code = NULL WHERE partner_id = %s",
                self.buyers[1].id,
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE customer_abc_history SET f_score = 0 WHERE partner_id = %s AND period_start = %s",
                self.buyers[2].id,
                date(2024, 2, 1),
            )
        )
        run = self._run_to_publish()
        profiles = self._staged(run, "profile")
        # the new largest buyer is staged whole
        whole = {partner for partner, kept, grade in profiles if not kept}
        self.assertIn(self.buyers[6].id, whole)
        for _partner, kept, grade in profiles + self._staged(run, "history"):
            self.assertEqual(grade is None, kept, "a kept row is staged as its key and fingerprint only")
        self.assertTrue(any(kept for _partner, kept, _grade in profiles), "unchanged customers are kept")
        self.Classifier.sudo()._run_step(run)
        self.assertEqual(run.state, "done")
        self.assertEqual(self._profile(self.buyers[6]).grade, "A")
        history, profiles = self._snapshot()
        self.assertNotEqual(history, stored[0])
        # the same figures as a run that writes every row afresh
        for table in ("customer_abc_history", "customer_abc_profile"):
            self.env.cr.execute(SQL("DELETE FROM %s WHERE company_id = %s", SQL.identifier(table), self.company.id))
        run = self._run("manual")
        self.assertGreater(run.history_written, 0)
        self.assertEqual(self._snapshot(), (history, profiles))
        # and the next full run finds everything as it wrote it
        run = self._run("manual")
        self.assertEqual((run.history_written, run.profiles_written), (0, 0))

    def test_a_kept_row_deleted_before_the_publication_comes_back_with_the_next_run(self):
        self._run("manual")
        stored = self._snapshot()
        run = self._run_to_publish()
        self.env["customer.abc.history"].sudo().search(
            [
                ("partner_id", "=", self.buyers[0].id),
                ("company_id", "=", self.company.id),
                ("period_start", "=", date(2024, 2, 1)),  # the graded period, which every full run writes
            ]
        ).unlink()
        self.Classifier.sudo()._run_step(run)
        self.assertEqual(run.state, "done", "the keys of a kept row are never inserted as a row")
        self.assertFalse(self._history(self.buyers[0]))
        self._run("manual")
        self.assertEqual(self._snapshot(), stored)

    def test_fingerprints_stay_those_stored_by_earlier_versions(self):
        """A fingerprint that changed with the code would make the first run
        after an upgrade rewrite every row: compare with the original
        implementation (a Python str() per value) on every kind of column."""

        def original(frame, columns):
            normal = pd.DataFrame(index=frame.index)
            for name in columns:
                column = frame[name]
                if pd.api.types.is_bool_dtype(column) or pd.api.types.is_integer_dtype(column):
                    normal[name] = column.astype("int64")
                elif pd.api.types.is_float_dtype(column):
                    normal[name] = column.astype("float64")
                else:
                    normal[name] = pd.Series(
                        [None if value is None or value != value else str(value) for value in column],
                        index=frame.index,
                        dtype=object,
                    )
            return pd.util.hash_pandas_object(normal, index=False).map("{:016x}".format)

        frame = pd.DataFrame(
            {
                "count": [3, 0, -1, 2**40, 7],
                "flag": [True, False, True, False, True],
                "share": [12.5, float("nan"), 0.0, 15.0, 1 / 3],
                "grade": ["A", None, "B", "A", float("nan")],
                "day": [date(2024, 2, 1), None, date(2024, 2, 1), float("nan"), date(2023, 12, 31)],
                "stamp": pd.to_datetime(
                    ["2024-02-01 00:00", None, "2024-02-01 00:00", "2024-03-05 10:00", "2024-02-01 00:00"]
                ),
            },
            index=[11, 12, 13, 14, 15],
        )
        columns = list(frame.columns)
        expected = original(frame, columns)
        self.assertEqual(writer_module.fingerprints(frame, columns).tolist(), expected.tolist())
        self.assertEqual(len(set(expected)), 5)

    def test_copy_buffers_of_pyarrow_and_pandas_give_the_same_rows(self):
        """The stage tables are filled by pyarrow's CSV writer when it is
        installed, by pandas' otherwise: PostgreSQL reads the same values
        from both, for every kind of column the job stages."""
        self.assertIsNotNone(writer_module._arrow(), "pyarrow is in requirements.txt: its path is the one tested")
        columns = {
            "n": np.array([1, 2, 3, 4], dtype="int64"),
            "i": np.array([7, -2, 3_000_000_000, 0], dtype="int64"),
            "s": np.array([3, 0, -1, 5], dtype="int8"),
            "f": np.array([15.0, 0.1, float("nan"), 1 / 3], dtype="float64"),
            "b": np.array([True, False, True, False]),
            "t": np.array(["A", None, "", 'at_risk, "quoted"\nline'], dtype=object),
            "d": np.array([date(2024, 2, 1), None, date(2024, 2, 29), float("nan")], dtype=object),
        }
        rows = {}
        for arrow in (True, False):
            table = f"customer_abc_test_copy_{int(arrow)}"
            self.env.cr.execute(
                SQL(
                    "CREATE TEMPORARY TABLE %s (n int4, i int8, s int2, f float8, b bool, t varchar, d date)",
                    SQL.identifier(table),
                )
            )
            self.env.cr.copy_expert(
                SQL("COPY %s FROM STDIN WITH (FORMAT csv)", SQL.identifier(table)).code,
                writer_module.csv_buffer(columns, arrow=arrow),
            )
            self.env.cr.execute(SQL("SELECT n, i, s, f, b, t, d FROM %s ORDER BY n", SQL.identifier(table)))
            rows[arrow] = self.env.cr.fetchall()
        self.assertEqual(
            rows[True],
            [
                (1, 7, 3, 15.0, True, "A", date(2024, 2, 1)),
                (2, -2, 0, 0.1, False, None, None),
                (3, 3_000_000_000, -1, None, True, None, date(2024, 2, 29)),
                (4, 0, 5, 1 / 3, False, 'at_risk, "quoted"\nline', None),
            ],
        )
        self.assertEqual(rows[False], rows[True])

    def test_chunks_give_the_grades_of_one_pass(self):
        with patch.object(customer_abc_classifier, "CHUNK_CUSTOMERS", 2):
            chunked = self._run("manual")
        self.assertEqual(
            chunked.steps_total,
            3 + 3 + 4,
            "plan, read, RFM as of the ends of January and February and of today, four chunks of two customers, "
            "publish",
        )
        first = self._snapshot()
        # the same data in one chunk: same figures, same fingerprints, nothing to write
        again = self._run("manual")
        self.assertEqual((again.history_written, again.profiles_written), (0, 0))
        self.assertEqual(self._snapshot(), first)

    def test_chunks_hold_fewer_customers_when_more_periods_are_read(self):
        # the frames of a chunk hold one row per customer and period read: a backfill
        # (12 periods and the one before) takes fewer customers per chunk than a nightly run
        self.assertEqual(customer_abc_classifier._chunk_customers(3), 100_000)
        self.assertEqual(customer_abc_classifier._chunk_customers(13), 23_076)
        self.assertEqual(customer_abc_classifier._chunk_customers(0), 100_000)
        with patch.object(customer_abc_classifier, "CHUNK_ROWS", 3 * 3):
            nightly = self._run("manual")
        self.assertEqual(len(nightly.plan["chunks"]), 3, "3 periods read: chunks of 3 of the 8 customers")
        before = self._snapshot()
        with patch.object(customer_abc_classifier, "CHUNK_ROWS", 13 * 2):
            backfill = self._backfill()
        self.assertEqual(backfill.state, "done")
        self.assertEqual(len(backfill.plan["wanted"]), 13, "March 2023 to February 2024, and February 2023")
        self.assertEqual(len(backfill.plan["chunks"]), 4, "13 periods read: chunks of 2 of the 8 customers")
        self.assertEqual(self._snapshot(), before, "the same figures, whatever the chunks")
        self.assertEqual(backfill.steps_done, backfill.steps_total)
        # the same backfill published a chunk at a time: its progress ends at 100 % too
        for table in ("customer_abc_history", "customer_abc_profile"):
            self.env.cr.execute(SQL("UPDATE %s SET sync_hash = 'stale'", SQL.identifier(table)))
        with (
            patch.object(customer_abc_classifier, "CHUNK_ROWS", 13 * 2),
            patch.object(customer_abc_classifier, "PUBLISH_ATOMIC_ROWS", 1),
        ):
            chunked = self._backfill()
        self.assertEqual((chunked.state, chunked.plan["publish"]["mode"]), ("done", "chunked"))
        self.assertEqual(chunked.steps_done, chunked.steps_total)
        self.assertEqual(self._snapshot(), before)

    def test_a_run_that_rewrites_much_of_the_tables_refreshes_their_statistics(self):
        # a first run of a small book: the planner learns what it wrote
        with patch.object(customer_abc_classifier, "ANALYZE_MIN_ROWS", 1):
            run = self._run("manual")
        self.assertGreater(run.history_written + run.profiles_written, 0)
        self.env.cr.execute("SELECT reltuples FROM pg_class WHERE relname = 'customer_abc_profile'")
        believed = self.env.cr.fetchone()[0]
        self.env.cr.execute("SELECT count(*) FROM customer_abc_profile")
        self.assertEqual(believed, self.env.cr.fetchone()[0])
        # what counts is the planner's estimate of the company's rows
        self.env.cr.execute("ANALYZE customer_abc_history")
        self.env.cr.execute("ANALYZE customer_abc_profile")
        writer = Writer(self.env, RunSettings.for_company(self.env, self.company, TODAY), 0)
        rows = writer.believed_rows()
        self.assertEqual(rows, run.history_written + run.profiles_written)
        other = self.env["res.company"].create({"name": "Run Statistics Co"})
        other_writer = Writer(self.env, RunSettings.for_company(self.env, other, TODAY), 0)
        self.assertLessEqual(other_writer.believed_rows(), 2, "another company's rows say nothing of this one's")
        for written, minimum, stale in [
            (499, 500, False),  # under the minimum
            (500, 500, rows < 5000),  # at the minimum, and more than a tenth of the company's rows
            (rows // 10, 1, False),  # exactly a tenth: not more
            (rows // 10 + 1, 1, True),
        ]:
            with self.subTest(written=written, minimum=minimum):
                self.assertEqual(writer.statistics_stale(written, minimum), stale)

    def test_an_execution_hands_over_before_a_step_that_would_overrun(self):
        run = self.Classifier._request_run(self.company, "manual")
        run.write({"today": TODAY, "longest_step": 30.0})  # a step of this run took 30 s
        cron = self.env.ref("customer_abc.ir_cron_customer_abc_classify")
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        with patch.object(customer_abc_classifier, "JOB_BUDGET", 20.0):
            self.Classifier._cron_classify()
        self.assertEqual(run.steps_done, 1, "one step always; the next could end past the budget")
        self.assertEqual(run.state, "running")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]), "the next execution goes on")
        with patch.object(customer_abc_classifier, "JOB_BUDGET", 20.0):
            self.Classifier._cron_classify()  # Odoo 18 calls it again in the same execution
        self.assertEqual(run.steps_done, 1, "the execution already did a step: no new one")
        customer_abc_classifier._JOB_STARTS.clear()
        self.Classifier._cron_classify()
        self.assertEqual(run.state, "done")

    @contextmanager
    def _steps_taking(self, seconds):
        """A new execution of the scheduled action on a fake clock, on which
        each step of a run takes ``seconds``."""
        now = [1000.0]
        run_step = type(self.Classifier)._run_step

        def step(classifier, run):
            run_step(classifier, run)
            now[0] += seconds

        customer_abc_classifier._JOB_STARTS.clear()
        with (
            patch.object(customer_abc_classifier, "_clock", lambda: now[0]),
            patch.object(type(self.Classifier), "_run_step", step),
        ):
            yield

    def test_a_run_without_steps_yet_is_judged_on_the_execution_longest_step(self):
        """The next company's run has no step of its own to judge by: the
        execution hands over when the longest step it has done (a read of
        the same size, say) would end past the budget."""
        first = self._run_to_publish()
        other = self.env["res.company"].create({"name": "Run Budget Co"})
        second = self.Classifier._request_run(other, "manual")
        second.today = TODAY
        cron = self.env.ref("customer_abc.ir_cron_customer_abc_classify")
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        with patch.object(customer_abc_classifier, "JOB_BUDGET", 15.0), self._steps_taking(10.0):
            self.Classifier._cron_classify()
        self.assertEqual(first.state, "done", "the first step of an execution always runs")
        self.assertEqual(second.steps_done, 0, "10 s done + a step like the longest (10 s) > 15 s: handed over")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]), "the next execution goes on")
        customer_abc_classifier._JOB_STARTS.clear()
        self.Classifier._cron_classify()
        self.assertEqual(second.state, "done")

    def test_a_read_starts_an_execution_unless_it_has_only_begun(self):
        """A run's read is its longest step and nothing before it tells how
        long it takes: after more than READ_STARTS_WITHIN seconds of other
        steps, the execution hands it over to the next one."""
        cron = self.env.ref("customer_abc.ir_cron_customer_abc_classify")
        for index, (seconds, read_now) in enumerate([(6.0, False), (5.0, True)]):
            with self.subTest(seconds=seconds):
                first = self._run_to_publish()
                other = self.env["res.company"].create({"name": f"Run Read Co {index}"})
                second = self.Classifier._request_run(other, "manual")
                second.today = TODAY
                self.Classifier.sudo()._run_step(second)  # planned: its read is next
                self.assertEqual(second.step, "read")
                self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
                with self._steps_taking(seconds):
                    self.Classifier._cron_classify()
                self.assertEqual(first.state, "done")
                if read_now:
                    self.assertEqual(second.state, "done", "5 s into the execution: the read runs, the rest too")
                else:
                    # 6 s + a step like the longest (6 s) is within the 45 s budget, but a read may be longer
                    self.assertEqual((second.state, second.step), ("running", "read"), "6 s in: handed over")
                    self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
                    customer_abc_classifier._JOB_STARTS.clear()
                    self.Classifier._cron_classify()
                    self.assertEqual(second.state, "done", "the next execution starts with the read")

    def test_a_large_publication_goes_a_chunk_at_a_time(self):
        self._run("manual")
        before = self._snapshot()
        self.env.cr.execute("UPDATE customer_abc_profile SET sync_hash = 'stale'")  # everything to rewrite
        with (
            patch.object(customer_abc_classifier, "CHUNK_CUSTOMERS", 3),
            patch.object(customer_abc_classifier, "PUBLISH_ATOMIC_ROWS", 1),
        ):
            run = self.Classifier._request_run(self.company, "manual")
            run.today = TODAY
            Classifier = self.Classifier.sudo()
            seen_publishing = False
            while run.state == "running" or run.state == "queued":
                Classifier._run_step(run)
                status = self.env["customer.abc.cockpit"].get_cockpit_data()["status"]["running"]
                seen_publishing |= bool(status and status["publishing"])
        self.assertTrue(seen_publishing, "the screens say the figures are being replaced")
        self.assertEqual(run.plan["publish"]["mode"], "chunked")
        self.assertEqual(run.profiles_written, 8)
        self.assertEqual(run.steps_done, run.steps_total, "the progress ends at 100 %, not above")
        self.assertEqual(self._snapshot(), before)

    def _chunked_events(self, rewrite):
        """The chunk upserts and live-table ANALYZEs of a manual run
        published three customers at a time, in order: a first run, or
        (``rewrite``) a run after one where every profile is to rewrite and
        every history row kept."""
        if rewrite:
            self._run("manual")
            self.env.cr.execute("UPDATE customer_abc_profile SET sync_hash = 'stale'")
        events = []
        upsert, analyze = Writer.upsert_history, Writer.analyze

        def record_upsert(writer, periods, partners=None):
            events.append("chunk")
            return upsert(writer, periods, partners)

        def record_analyze(writer, stage=False, live=True):
            if live:
                events.append("analyze")
            return analyze(writer, stage=stage, live=live)

        with (
            patch.object(customer_abc_classifier, "CHUNK_CUSTOMERS", 3),
            patch.object(customer_abc_classifier, "PUBLISH_ATOMIC_ROWS", 1),
            patch.object(Writer, "upsert_history", record_upsert),
            patch.object(Writer, "analyze", record_analyze),
        ):
            run = self._run("manual")
        self.assertEqual((run.state, run.plan["publish"]["mode"]), ("done", "chunked"))
        first = events.index("chunk")
        return events[first:], run

    def test_a_chunked_first_run_refreshes_statistics_once_its_chunks_are_written(self):
        # nothing kept: the chunks' upserts read only the stage, so the live tables' statistics are
        # refreshed once, for the last step's deletes, and not after each of the 3 chunks
        events, run = self._chunked_events(rewrite=False)
        self.assertEqual(len(run.plan["chunks"]), 3)
        self.assertFalse(run.plan["publish"]["kept"])
        self.assertEqual(events[:4], ["chunk", "chunk", "chunk", "analyze"])
        self.assertGreater(run.history_written, 0)
        # rows kept (the history): the next chunk's RFM sync joins the live rows, refreshed after each
        events, run = self._chunked_events(rewrite=True)
        self.assertTrue(run.plan["publish"]["kept"])
        self.assertEqual(events[:6], ["chunk", "analyze", "chunk", "analyze", "chunk", "analyze"])
        self.assertEqual((run.history_written, run.profiles_written), (0, 8))

    def test_share_method_in_chunks(self):
        self.company.abc_method = "share"
        with patch.object(customer_abc_classifier, "CHUNK_CUSTOMERS", 3):
            self._run("manual")
        grades = {partner: self._history(partner).grade for partner in self.buyers}
        # February: 150,000 / 90,000 / 60,300 / 34,400 / 12,500 / 5,000 / 800, 353,000 in all; shares
        # before each: 0 % (A), 42.5 % and 68.0 % (B, below 80 %), 85.1 % and more (C)
        self.assertEqual([grades[partner] for partner in self.buyers], ["A", "B", "B", "C", "C", "C", "C"])
        ranks = [self._history(partner).rank for partner in self.buyers]
        self.assertEqual(ranks, [1, 2, 3, 4, 5, 6, 7])

    def test_a_killed_run_resumes_where_it_stopped(self):
        run = self.Classifier._request_run(self.company, "manual")
        run.today = TODAY
        Classifier = self.Classifier.sudo()
        for _step in range(2):  # plan, read: then the worker dies
            Classifier._run_step(run)
        self.assertEqual((run.state, run.step), ("running", "compute"))
        customer_abc_classifier._RANKINGS.clear()  # a new process knows nothing
        # a restart of PostgreSQL empties unlogged tables: the run reads again
        self.env.cr.execute(SQL("DROP TABLE %s", SQL.identifier(f"customer_abc_stage_input_{run.id}")))
        while run.state == "running":
            Classifier._run_step(run)
        self.assertEqual(run.state, "done")
        self.assertEqual(self._profile(self.buyers[0]).grade, "A")
        self.assertEqual(self._history(self.buyers[3]).amount, 34400.0, "30,000, 400 and the contact's 4,000")

    def test_users_see_the_previous_run_until_the_next_one_is_published(self):
        self._run("manual")
        before = self.env["customer.abc.cockpit"].get_cockpit_data()
        self._order(self.buyers[6], 200000.0, date(2024, 2, 25))
        run = self._run_to_publish()
        Classifier = self.Classifier.sudo()
        self.assertEqual(self._profile(self.buyers[6]).grade, "D", "not published yet")
        during = self.env["customer.abc.cockpit"].get_cockpit_data()
        self.assertEqual(during["sections"], before["sections"])
        self.assertEqual(during["status"]["running"]["kind"], "manual")
        Classifier._run_step(run)
        self.assertEqual(self._profile(self.buyers[6]).grade, "A")
        self.assertFalse(self.env["customer.abc.cockpit"].get_cockpit_data()["status"]["running"])

    @patch.object(customer_abc_classifier, "SCOPE_MAX_SHARE", 0.9)  # a small book: most customers may change
    def test_nightly_run_reads_the_changed_customers_to_the_figures_of_a_full_run(self):
        self._run("manual")
        self._age()
        # the next day: a new order, a cancelled one of the graded period, a new customer
        self._order(self.buyers[2], 700.0, DAY_AFTER)
        newcomer = self._customer("Run Newcomer")
        nightly = self._run("nightly", today=DAY_AFTER)
        self.assertEqual(nightly.scope, "changed")
        self.assertLess(nightly.customers, 9)
        self.assertIn(newcomer, self.env["customer.abc.profile"].search([]).partner_id)
        after_nightly = self._snapshot()
        full = self._run("manual", today=DAY_AFTER)
        self.assertEqual((full.scope, full.history_written, full.profiles_written), ("full", 0, 0))
        self.assertEqual(self._snapshot(), after_nightly)

    @patch.object(customer_abc_classifier, "SCOPE_MAX_SHARE", 0.9)
    def test_nightly_run_counts_orders_dated_after_the_last_run(self):
        # entered before the first run, dated the next day: the first run does not count it yet
        early = self._order(self.buyers[5], 999.0, DAY_AFTER)
        self._run("manual")
        self._age()
        self.assertNotEqual(self._profile(self.buyers[5]).last_order_date, DAY_AFTER)
        nightly = self._run("nightly", today=DAY_AFTER)
        self.assertEqual(nightly.scope, "changed")
        self.assertEqual(self._profile(self.buyers[5]).last_order_date, early.date_order.date())
        full = self._run("manual", today=DAY_AFTER)
        self.assertEqual((full.history_written, full.profiles_written), (0, 0))

    @patch.object(customer_abc_classifier, "SCOPE_MAX_SHARE", 0.9)
    def test_nightly_run_widens_to_everyone_when_a_period_total_moves(self):
        self.company.abc_method = "share"
        self._run("manual")
        self._age()
        self.env["sale.order"].search([("partner_id", "=", self.buyers[1].id)]).filtered(
            lambda order: order.date_order.month == 2
        )._action_cancel()
        nightly = self._run("nightly", today=DAY_AFTER)
        self.assertEqual(nightly.scope, "full", "every buyer's share of February moved")
        full = self._run("manual", today=DAY_AFTER)
        self.assertEqual((full.history_written, full.profiles_written), (0, 0))

    @patch.object(customer_abc_classifier, "SCOPE_MAX_SHARE", 0.9)
    def test_nightly_run_follows_ranks_moved_by_others(self):
        self.company.abc_method = "share"
        self._run("manual")
        self._age()
        # February's total stays: buyer 5 loses 5,000, buyer 6 gains them and overtakes buyer 5
        self.env["sale.order"].search(
            [("partner_id", "=", self.buyers[5].id), ("amount_untaxed", "=", 5000.0)]
        )._action_cancel()
        self._order(self.buyers[6], 5000.0, date(2024, 2, 27))
        nightly = self._run("nightly", today=DAY_AFTER)
        self.assertEqual(nightly.scope, "changed")
        after_nightly = self._snapshot()
        full = self._run("manual", today=DAY_AFTER)
        self.assertEqual((full.history_written, full.profiles_written), (0, 0))
        self.assertEqual(self._snapshot(), after_nightly)

    @patch.object(customer_abc_classifier, "SCOPE_MAX_SHARE", 0.9)
    def test_nightly_run_follows_rfm_moved_by_time_and_by_others(self):
        # an order leaves the trailing year overnight; nothing of this customer changes otherwise
        ageing = self._customer("Run Ageing")
        self._order(ageing, 300.0, TODAY.replace(year=TODAY.year - 1) + timedelta(days=1))
        self._order(ageing, 300.0, date(2023, 6, 1))
        self._run("manual")
        self.assertEqual(self._profile(ageing).rfm_frequency, 2)
        self._age()
        # and a buyer orders a lot: the quintiles of everyone's F and M move
        for day in range(5):
            self._order(self.buyers[6], 900.0, date(2024, 3, 1) + timedelta(days=day))
        staged = []
        stage_rfm = Writer.stage_rfm

        def spy(writer, period_start, scored):
            staged.append(len(scored))
            return stage_rfm(writer, period_start, scored)

        with patch.object(Writer, "stage_rfm", spy):
            nightly = self._run("nightly", today=DAY_AFTER)
        self.assertEqual(nightly.scope, "changed")
        self.assertEqual(self._profile(ageing).rfm_frequency, 1)
        buyers_of_the_year = self.env["customer.abc.profile"].search_count([("rfm_frequency", ">", 0)])
        self.assertLess(staged[-1], buyers_of_the_year, "the scope's scores and the moved ones, not everyone's")
        after_nightly = self._snapshot()
        full = self._run("manual", today=DAY_AFTER)
        self.assertEqual(full.scope, "full")
        self.assertEqual(self._snapshot(), after_nightly)

    def test_only_rfm_scores_that_move_are_written_by_a_scoped_run(self):
        scored = pd.DataFrame(
            {
                "partner_id": [1, 2, 3, 4, 5],
                "r_score": np.array([5, 4, 3, 2, 1], dtype=np.int8),
                "f_score": np.array([5, 4, 3, 2, 1], dtype=np.int8),
                "m_score": np.array([5, 4, 3, 2, 1], dtype=np.int8),
                "segment": ["champions", "loyal", "need_attention", "hibernating", "lost"],
            }
        )
        stored = {
            "partner_id": np.array([1, 2, 4, 5]),  # 3: in the scope, no stored score to compare
            "r_score": np.array([5, 4, 2, 1]),
            "f_score": np.array([5, 3, 2, 1]),  # 2: F moved
            "m_score": np.array([5, 4, 3, 0]),  # 4: M moved; 5: no score stored (0)
        }
        moved = customer_abc_classifier._rfm_moves(scored, stored)
        self.assertEqual(moved["partner_id"].tolist(), [2, 3, 4, 5])
        self.assertEqual(moved["segment"].tolist(), ["loyal", "need_attention", "hibernating", "lost"])
        self.assertTrue(customer_abc_classifier._rfm_moves(scored.iloc[:0], stored).empty)

    @patch.object(customer_abc_classifier, "SCOPE_MAX_SHARE", 0.9)
    def test_lifecycle_moves_with_time_alone(self):
        quiet = self._customer("Run Quiet")
        self._order(quiet, 900.0, TODAY - timedelta(days=58))  # active until 60 days, then about to churn
        self._run("manual")
        self._age()
        self.assertEqual(self._profile(quiet).lifecycle, "active")
        later = TODAY + timedelta(days=7)
        nightly = self._run("nightly", today=later)
        self.assertEqual(nightly.scope, "changed")
        self.assertEqual(self._profile(quiet).lifecycle, "at_risk")
        full = self._run("manual", today=later)
        self.assertEqual((full.history_written, full.profiles_written), (0, 0))

    @contextmanager
    def _replica(self, lag, replayed=None):
        """Odoo's test mode gives a read-only cursor (a read-only transaction on
        the test's connection): it stands for the replica, at the ``lag`` given."""
        Classifier = type(self.env["customer.abc.classifier"])
        if hasattr(self, "enter_registry_test_mode"):
            mode = self.enter_registry_test_mode()
        else:
            mode = _registry_test_mode_18(self)
        with (
            mode,
            patch.object(compat, "replica_configured", return_value=True),
            patch.object(Classifier, "_replica_lag", return_value=(lag, replayed)),
        ):
            yield

    def test_full_read_on_a_fresh_replica(self):
        # a visit whose window holds buyer 3's order of February 17 (400) and the contact's of February 20 (4,000)
        visit = self.env["customer.abc.action"]._abc_log(
            [
                {
                    "company_id": self.company.id,
                    "partner_id": self.buyers[3].id,
                    "kind": "visit",
                    "source": "manual",
                    "date": date(2024, 2, 15),
                    "user_id": self.manager.id,
                }
            ]
        )
        primary = self._run("manual")
        self.assertEqual(primary.read_from, "primary")
        figures = self._snapshot()
        outcome = visit.read(["state", "won_order_count", "won_amount", "first_order_date"])
        self.assertEqual(
            [outcome[0][name] for name in ("state", "won_order_count", "won_amount", "first_order_date")],
            ["won", 2, 4400.0, date(2024, 2, 17)],
        )
        self.env.cr.execute("UPDATE customer_abc_profile SET sync_hash = 'stale'")  # make it write everything
        self.env.cr.execute(
            "UPDATE customer_abc_action SET state = 'open', won_order_count = 0, won_amount = 0, "
            "first_order_date = NULL WHERE id = %s",
            [visit.id],
        )
        visit.invalidate_recordset()
        with self._replica(0.0):
            run = self._run("manual")
        self.assertEqual(run.read_from, "replica")
        self.assertEqual(run.profiles_written, 8)
        self.assertEqual(self._snapshot(), figures, "the same figures read from the replica")
        self.assertEqual(
            visit.read(["state", "won_order_count", "won_amount", "first_order_date"]),
            outcome,
            "the same outcome measured on the replica",
        )

    def test_a_lagging_replica_is_not_read(self):
        with self._replica(900.0), self.assertLogs(customer_abc_classifier.__name__, level="WARNING") as logs:
            run = self._run("manual")
        self.assertEqual(run.read_from, "primary")
        self.assertIn("lags 900 s", logs.output[0])
        self.env["ir.config_parameter"].set_param("customer_abc.replica_max_lag", 1200)
        with self._replica(900.0, replayed=datetime(2024, 3, 15, 11, 45)):
            run = self._run("manual")
        self.assertEqual(run.read_from, "replica")
        # the next nightly run looks at what the replica had not replayed
        self.assertEqual(run.watermark, datetime(2024, 3, 15, 11, 35))

    def test_classify_now_runs_in_the_background_and_says_so_twice(self):
        first = self.env["customer.abc.classifier"].with_user(self.manager).action_classify_now()
        self.assertEqual((first["tag"], first["params"]["type"]), ("display_notification", "info"))
        run = self.Run.search([("company_id", "=", self.company.id)])
        self.assertEqual((run.kind, run.state, run.requested_by), ("manual", "queued", self.manager))
        cron = self.env.ref("customer_abc.ir_cron_customer_abc_classify")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        second = self.env["customer.abc.classifier"].with_user(self.manager).action_classify_now()
        self.assertEqual(second["params"]["type"], "warning")
        self.assertIn("already under way", second["params"]["message"])
        self.assertEqual(self.Run.search_count([("company_id", "=", self.company.id)]), 1)
        # the scheduled action does it, and tells the manager
        self.env["bus.bus"].search([]).unlink()
        self.env["customer.abc.classifier"]._cron_classify()
        self.assertEqual(run.state, "done")
        self.assertTrue(self.env["customer.abc.profile"].search([("partner_id", "=", self.buyers[0].id)]))
        messages = self.env["bus.bus"].search([]).mapped("message")
        self.assertTrue(any("Customer classification done" in message for message in messages), messages)

    def test_a_run_under_way_refuses_a_second_one(self):
        run = self.Classifier._request_run(self.company, "manual")
        self.Classifier.sudo()._run_step(run)
        with self.assertRaisesRegex(UserError, "already running"):
            self.env["customer.abc.profile"].classify(today=TODAY)
        # a run without progress for long is abandoned and taken over
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE customer_abc_run SET write_date = now() - interval '1 hour' WHERE id = %s", run.id)
        )
        run.invalidate_recordset()
        self.env["customer.abc.profile"].classify(today=TODAY)
        self.assertEqual(run.state, "failed")

    def test_settings_change_regrades_in_the_background(self):
        self._run("manual")
        self.env["res.config.settings"].create({"abc_threshold_a": 140000.0}).execute()
        run = self.Run.search([("company_id", "=", self.company.id), ("state", "=", "queued")])
        self.assertEqual(run.kind, "regrade")
        self.assertEqual(self._profile(self.buyers[0]).grade, "A", "not in the request")
        # a setting that grades nothing (the playbook wording) queues nothing more
        self.env["res.config.settings"].create({"abc_strategy_a": "Keep them close"}).execute()
        self.assertEqual(self.Run.search_count([("state", "=", "queued")]), 1)

    def test_install_schedules_the_backfill(self):
        post_init_hook(self.env)
        run = self.Run.search([("company_id", "=", self.company.id)])
        self.assertEqual((run.kind, run.backfill, run.state), ("backfill", 12, "queued"))
        status = self.env["customer.abc.cockpit"].get_cockpit_data()
        self.assertTrue(status["empty"], "nothing is shown before the first run is published")
        self.assertEqual(status["status"]["running"]["kind"], "backfill")
        Classifier = self.Classifier.sudo()
        run.write({"today": TODAY})
        while run.state in ("queued", "running"):
            Classifier._run_step(run)
            if run.step == "publish" and run.periods_done == 3:
                status = self.env["customer.abc.cockpit"].get_cockpit_data()["status"]["running"]
                self.assertEqual((status["periods_done"], status["periods_total"]), (3, 12))
        self.assertEqual(run.state, "done")
        self.assertEqual(run.periods_done, 12)
        # the customers ordered from January 2024 on: the ten periods before have no rows to show
        periods = self.env["customer.abc.cockpit"].get_cockpit_data()["periods"]
        self.assertEqual([period["start"] for period in periods], ["2024-02-01", "2024-01-01"])

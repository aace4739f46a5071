"""Excel export of the analysis list: content read back with openpyxl, and
the controller's access rights."""

import io
import json
from datetime import date

import openpyxl

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .. import compat
from .common import TODAY, AbcHelpers, CustomerAbcCase


class ExportFixtures:
    @classmethod
    def _export_fixtures(cls):
        cls.big = cls._customer("Big Buyer", user_id=cls.salesman.id)
        cls.mid = cls._customer("Mid Buyer", user_id=cls.manager.id)
        cls.idle = cls._customer("Idle Buyer", user_id=cls.salesman.id)
        cls._order(cls.big, 120000.0, date(2024, 2, 5))
        cls._order(cls.mid, 60000.0, date(2024, 2, 6))
        cls._order(cls.mid, 40000.0, date(2024, 1, 6))
        cls.env["customer.abc.profile"].classify(today=TODAY)
        cls.profiles = cls.env["customer.abc.profile"].search(
            [("partner_id", "in", (cls.big | cls.mid | cls.idle).ids)]
        )


def read_workbook(content):
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return book, sheet, rows[0], rows[1:]


@tagged("post_install", "-at_install")
class TestExportContent(CustomerAbcCase, ExportFixtures):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._export_fixtures()

    def test_workbook_rows_match_the_profiles(self):
        book, sheet, header, rows = read_workbook(self.profiles._abc_export_xlsx())
        self.assertEqual([ws.title for ws in book.worksheets], ["Customers", "Summary"])
        self.assertEqual(header[0], "Customer")
        self.assertIn("Grade", header)
        self.assertIn("Period Amount", header)
        # one number column per partner number: phone and mobile on Odoo 18, phone on 19
        self.assertIn("Phone", header)
        self.assertEqual("Mobile" in header, compat.PARTNER_HAS_MOBILE)
        self.assertEqual(sheet.freeze_panes, "B2")
        self.assertTrue(sheet.auto_filter.ref)
        by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
        self.assertEqual(set(by_name), {"Big Buyer", "Mid Buyer", "Idle Buyer"})
        big, mid = by_name["Big Buyer"], by_name["Mid Buyer"]
        self.assertEqual(big["Grade"], "A")
        self.assertEqual(big["Period Amount"], 120000.0)
        self.assertEqual(big["Salesperson"], "Own Rep")
        self.assertEqual(mid["Grade"], "B")
        self.assertEqual(mid["Previous Grade"], "C")
        self.assertEqual(mid["Change"], "Upgraded")
        self.assertAlmostEqual(mid["Growth (%)"], 0.5)  # 50 % as an Excel percentage
        self.assertEqual(mid["Lifecycle"], "Active")
        self.assertEqual(by_name["Idle Buyer"]["Lifecycle"], "Never traded")
        self.assertEqual(by_name["Idle Buyer"]["Period Amount"], 0)
        self.assertIsNone(by_name["Idle Buyer"]["Last Order Date"])
        self.assertEqual(big["Last Order Date"].date(), date(2024, 2, 5))
        # two buyers in the year: each score is 1 or 5 (analytics.rfm)
        self.assertEqual((big["RFM Segment"], big["RFM Code"], big["Frequency (12 months)"]), ("Lost", "115", 1))
        self.assertEqual(
            (mid["RFM Segment"], mid["RFM Code"], mid["Monetary (12 months)"]), ("Champions", "551", 100000.0)
        )
        self.assertIsNone(by_name["Idle Buyer"]["RFM Segment"])
        self.assertIn("Next Expected Order", header)
        self.assertIn("Late for Usual Order", header)
        # money and percent formats, coloured grades
        column = header.index("Period Amount") + 1
        self.assertIn("#,##0.00", sheet.cell(row=2, column=column).number_format)
        self.assertEqual(sheet.cell(row=2, column=header.index("Growth (%)") + 1).number_format, "0.0%")
        grade_cell = sheet.cell(
            row=1 + 1 + [row[0] for row in rows].index("Big Buyer"), column=header.index("Grade") + 1
        )
        self.assertEqual(grade_cell.fill.fgColor.rgb[-6:], "C6EFCE")

    def test_summary_sheet_counts_and_amounts(self):
        book, _sheet, _header, _rows = read_workbook(self.profiles._abc_export_xlsx())
        summary = [row for row in book["Summary"].iter_rows(values_only=True) if any(cell is not None for cell in row)]
        by_label = {}
        block = None
        for row in summary:
            if row[1] is None and row[0] in ("By grade", "By lifecycle"):
                block = row[0]
            elif row[1] not in (None, "Count"):
                by_label[(block, row[0])] = row[1:4]
        self.assertEqual(by_label[("By grade", "A")], (1, 120000.0, 120000.0 * 100 / 180000 / 100))
        self.assertEqual(by_label[("By grade", "B")][:2], (1, 60000.0))
        self.assertEqual(by_label[("By grade", "D")][:2], (1, 0.0))
        self.assertEqual(by_label[("By grade", "Total")][:2], (3, 180000.0))
        self.assertEqual(by_label[("By lifecycle", "Never traded")][:2], (1, 0.0))
        self.assertEqual(by_label[("By lifecycle", "Total")][:2], (3, 180000.0))

    def test_titles_follow_the_users_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_abc"], ["zh_CN"])
        content = self.profiles.with_context(lang="zh_CN")._abc_export_xlsx()
        book, _sheet, header, rows = read_workbook(content)
        self.assertEqual(header[0], "客户")
        self.assertIn("等级", header)
        self.assertEqual(book.worksheets[1].title, "汇总")
        self.assertTrue(any(cell == "从未交易" for row in rows for cell in row))

    def test_action_menu_exports_the_selection_or_the_search(self):
        selected = self.profiles[:2]
        action = selected.with_context(active_domain=[("id", "in", self.profiles.ids)]).action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn("ids=", action["url"])
        action = self.profiles.with_context(active_domain=[("id", "in", self.profiles.ids)]).action_export_xlsx()
        self.assertIn("domain=", action["url"])


@tagged("post_install", "-at_install")
class TestExportController(AbcHelpers, ExportFixtures, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._abc_fixtures()
        cls.outsider = new_test_user(cls.env, login="xl_outsider", groups="base.group_user", name="Outsider")
        cls._export_fixtures()

    def _download(self, login, **params):
        self.authenticate(login, login)
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return self.url_open(f"/customer_abc/export/xlsx?{query}")

    def _names(self, response):
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertIn("spreadsheetml", response.headers["Content-Type"])
        self.assertIn("attachment", response.headers["Content-Disposition"])
        _book, _sheet, _header, rows = read_workbook(response.content)
        return {row[0] for row in rows}

    def test_manager_exports_a_search(self):
        domain = json.dumps([("partner_id", "in", (self.big | self.mid | self.idle).ids)])
        self.assertEqual(
            self._names(self._download("abc_manager", domain=domain)), {"Big Buyer", "Mid Buyer", "Idle Buyer"}
        )

    def test_manager_exports_a_selection(self):
        ids = ",".join(str(i) for i in self.profiles.filtered(lambda p: p.grade == "A").ids)
        self.assertEqual(self._names(self._download("abc_manager", ids=ids)), {"Big Buyer"})

    def test_salesman_gets_only_his_customers(self):
        ids = ",".join(str(i) for i in self.profiles.ids)
        self.assertEqual(self._names(self._download("abc_salesman", ids=ids)), {"Big Buyer", "Idle Buyer"})

    @mute_logger("odoo.http")
    def test_user_without_sales_rights_is_refused(self):
        response = self._download("xl_outsider", ids=",".join(str(i) for i in self.profiles.ids))
        self.assertEqual(response.status_code, 403)

    @mute_logger("odoo.http", "odoo.sql_db")
    def test_bad_parameters_are_refused(self):
        self.assertEqual(self._download("abc_manager", ids="1,abc").status_code, 400)
        for domain in ("{not json", "[1, 2]", '[["no_such_field", "=", 1]]', '[["rank", "=", "abc"]]', '"x"',
                       '[["rank", "like"]]', '["|"]'):  # fmt: skip
            with self.subTest(domain=domain):
                self.assertEqual(self._download("abc_manager", domain=domain).status_code, 400)
        self.assertEqual(self._download("abc_manager", ids="1", cids="1-x").status_code, 400)

    @mute_logger("odoo.http")
    def test_companies_of_the_web_client_only(self):
        other = self.env["res.company"].create({"name": "Not Yours Ltd"})
        ids = ",".join(str(i) for i in self.profiles.ids)
        self.assertEqual(self._download("abc_manager", ids=ids, cids=str(other.id)).status_code, 403)
        self.assertEqual(
            self._names(self._download("abc_manager", ids=ids, cids=str(self.env.company.id))),
            {"Big Buyer", "Mid Buyer", "Idle Buyer"},
        )

    def test_anonymous_visitor_is_sent_to_login(self):
        self.authenticate(None, None)
        response = self.url_open("/customer_abc/export/xlsx?ids=1", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))

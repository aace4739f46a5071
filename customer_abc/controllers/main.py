import json

import psycopg2
from werkzeug.exceptions import BadRequest, Forbidden

from odoo import fields, http
from odoo.http import content_disposition, request

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CustomerAbcExport(http.Controller):
    @http.route("/customer_abc/export/xlsx", type="http", auth="user", methods=["GET"], readonly=True)
    def export_xlsx(self, ids=None, domain=None, cids=None, **kwargs):
        """The analysis list as an Excel workbook: the profiles ``ids``
        (comma-separated) or those matching ``domain`` (JSON), as far as the
        user's access rights and record rules let him read them, in the
        companies selected in the web client (``cids``, as in the web
        client's URL and cookie: ``1-3``; the current company first)."""
        request.update_context(allowed_company_ids=self._selected_companies(cids))
        Profile = request.env["customer.abc.profile"]
        try:
            if ids:
                search_domain = [("id", "in", [int(record_id) for record_id in ids.split(",") if record_id])]
            else:
                search_domain = json.loads(domain) if domain else []
                if not isinstance(search_domain, list):
                    raise ValueError(domain)
            with request.env.cr.savepoint(flush=False):
                profiles = Profile.search(search_domain)
        except (ValueError, TypeError, KeyError, IndexError, AssertionError, psycopg2.DataError) as error:
            raise BadRequest("ids must be integers and domain a valid JSON domain of the analysis list") from error
        content = profiles._abc_export_xlsx()
        filename = f"customer_analysis_{fields.Date.context_today(Profile)}.xlsx"
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Disposition", content_disposition(filename)),
                ("Content-Length", str(len(content))),
            ],
        )

    def _selected_companies(self, cids):
        """Company ids of the export: ``cids`` (the action puts the web
        client's selection there), else the web client's ``cids`` cookie,
        else the user's current company.  Companies the user may not work
        in are refused."""
        user = request.env.user
        text = cids or request.httprequest.cookies.get("cids") or ""
        try:
            wanted = [int(cid) for cid in text.replace(",", "-").split("-") if cid.strip()]
        except ValueError as error:
            raise BadRequest("cids must be company ids separated by '-'") from error
        if not wanted:
            return [user.company_id.id]
        if set(wanted) - set(user.company_ids.ids):
            raise Forbidden()
        return list(dict.fromkeys(wanted))

import json

from werkzeug.exceptions import BadRequest

from odoo import fields, http
from odoo.http import content_disposition, request

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CustomerAbcExport(http.Controller):
    @http.route("/customer_abc/export/xlsx", type="http", auth="user", methods=["GET"], readonly=True)
    def export_xlsx(self, ids=None, domain=None, **kwargs):
        """The analysis list as an Excel workbook: the profiles ``ids``
        (comma-separated) or those matching ``domain`` (JSON), as far as the
        user's access rights and record rules let him read them."""
        Profile = request.env["customer.abc.profile"]
        try:
            if ids:
                search_domain = [("id", "in", [int(record_id) for record_id in ids.split(",") if record_id])]
            else:
                search_domain = json.loads(domain) if domain else []
                if not isinstance(search_domain, list):
                    raise ValueError(domain)
            profiles = Profile.search(search_domain)
        except ValueError as error:
            raise BadRequest("ids must be integers and domain a valid JSON domain") from error
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

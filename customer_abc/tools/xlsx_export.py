"""Write the customer analysis as a formatted Excel workbook (xlsxwriter).

Pure helper: no Odoo import.  The caller gives translated titles and plain
values; this module only lays them out.
"""

import io
from dataclasses import dataclass, field

import xlsxwriter

GRADE_COLOURS = {"A": "#C6EFCE", "B": "#DDEBF7", "C": "#FFEB9C", "D": "#FFC7CE"}
KINDS = ("text", "money", "percent", "integer", "date", "grade")


@dataclass
class Column:
    """One column: its title, its kind (one of :data:`KINDS`) and width."""

    title: str
    kind: str = "text"
    width: int = 14


@dataclass
class Summary:
    """A block of the summary sheet: a title, column titles and rows."""

    title: str
    headers: list
    rows: list = field(default_factory=list)
    #: number format of the money column (default: the workbook's)
    currency_format: str | None = None


def workbook(
    sheet_title, columns, rows, summary_title, summaries, currency_format="#,##0.00", row_currency_formats=None
):
    """Return the bytes of an .xlsx file.

    The first sheet holds ``rows`` (lists of values matching ``columns``)
    under a bold header row, with frozen panes, an autofilter, money and
    percent formats (percent values are given in percent: 12.5 means 12.5 %),
    and grade cells coloured A/B/C/D.  Money cells use ``currency_format``,
    or per row the format of ``row_currency_formats`` (one per row, for
    rows of companies with different currencies).  The second sheet holds
    ``summaries``.

    >>> data = workbook("Customers", [Column("Name"), Column("Grade", "grade")], [["Acme", "A"]], "Summary", [])
    >>> data[:2]
    b'PK'
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    header = book.add_format(
        {
            "bold": True,
            "bg_color": "#4B5563",
            "font_color": "#FFFFFF",
            "text_wrap": True,
            "valign": "vcenter",
            "border": 1,
        }
    )
    formats = {
        "text": book.add_format(),
        "money": book.add_format({"num_format": currency_format}),
        "percent": book.add_format({"num_format": "0.0%"}),
        "integer": book.add_format({"num_format": "0"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    money_formats = {currency_format: formats["money"]}

    def money(number_format):
        if number_format not in money_formats:
            money_formats[number_format] = book.add_format({"num_format": number_format})
        return money_formats[number_format]

    grade_formats = {
        grade: book.add_format({"bg_color": colour, "bold": True, "align": "center"})
        for grade, colour in GRADE_COLOURS.items()
    }
    sheet = book.add_worksheet(sheet_title[:31])
    for col, column in enumerate(columns):
        sheet.write(0, col, column.title, header)
        sheet.set_column(col, col, column.width)
    sheet.set_row(0, 30)
    for row_index, values in enumerate(rows, start=1):
        row_formats = formats
        if row_currency_formats:
            row_formats = {**formats, "money": money(row_currency_formats[row_index - 1])}
        for col, (column, value) in enumerate(zip(columns, values, strict=True)):
            _write(sheet, row_index, col, column.kind, value, row_formats, grade_formats)
    sheet.freeze_panes(1, 1)
    if columns:
        sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
    summary_sheet = book.add_worksheet(summary_title[:31])
    bold = book.add_format({"bold": True, "font_size": 12})
    line = 0
    for block in summaries:
        block_formats = {**formats, "money": money(block.currency_format)} if block.currency_format else formats
        summary_sheet.write(line, 0, block.title, bold)
        line += 1
        for col, title in enumerate(block.headers):
            summary_sheet.write(line, col, title, header)
        line += 1
        for values in block.rows:
            for col, value in enumerate(values):
                kind = "money" if col == 2 else "percent" if col == 3 else "integer" if col == 1 else "text"
                if col == 0 and value in GRADE_COLOURS:
                    kind = "grade"
                _write(summary_sheet, line, col, kind, value, block_formats, grade_formats)
            line += 1
        line += 1
    summary_sheet.set_column(0, 0, 22)
    summary_sheet.set_column(1, 3, 16)
    book.close()
    return buffer.getvalue()


def _write(sheet, row, col, kind, value, formats, grade_formats):
    if value is None or value is False or value != value:  # None, False or NaN: empty cell
        sheet.write_blank(row, col, None)
    elif kind == "grade":
        sheet.write_string(row, col, str(value), grade_formats.get(value, formats["text"]))
    elif kind == "percent":
        sheet.write_number(row, col, value / 100.0, formats["percent"])
    elif kind in ("money", "integer"):
        sheet.write_number(row, col, value, formats[kind])
    elif kind == "date":
        sheet.write_datetime(row, col, value, formats["date"])
    else:
        sheet.write_string(row, col, str(value), formats["text"])

"""Keep customer_abc/i18n complete, for every supported Odoo series.

    python tools/i18n.py update SERIES=POT [SERIES=POT ...]
        write the union of the templates as the module's .pot (a term exported
        by one series only is marked "only on Odoo <series>") and merge it into
        every .po; `make pot` exports one template per series (18.0 and 19.0)
    python tools/i18n.py check SERIES POT
        fail when the committed .pot or a .po differs from POT, freshly
        exported from SERIES: a term of POT missing from the .pot, a term of
        the .pot that SERIES does not export and that is not marked for
        another series, a term marked for another series that SERIES exports,
        an untranslated or fuzzy term, different placeholders

POT is a template freshly exported by Odoo (tools/export_pot.py in
``odoo-bin shell``) from a database where the addon is installed; `make pot`
and `make test` do that.
"""

import pathlib
import re
import sys

import polib

I18N = pathlib.Path(__file__).resolve().parents[1] / "customer_abc" / "i18n"
POT = I18N / "customer_abc.pot"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{\{.*?\}\}|<[^>]+>")

ONLY_ON = "only on Odoo "
PO_HEADER = {
    "zh_CN": {"Language": "zh_CN", "Plural-Forms": "nplurals=1; plural=0;"},
}


def _key(entry):
    return (entry.msgctxt, entry.msgid)


def _clean_header(pofile, extra=None):
    pofile.metadata.update(
        {
            "Project-Id-Version": "Odoo Server 18.0 and 19.0",
            "POT-Creation-Date": "",
            "PO-Revision-Date": "",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "",
        }
    )
    pofile.metadata.update(extra or {})


def _only_on(entry):
    """The series an entry is marked for, or None (every series)."""
    for line in (entry.comment or "").splitlines():
        if line.startswith(ONLY_ON):
            return line.removeprefix(ONLY_ON).strip()
    return None


def _union(fresh_by_series):
    """One template with the entries of every series' template; the
    occurrences of an entry are merged, and an entry that some series lack
    is marked with the series that export it."""
    series_list = sorted(fresh_by_series)
    merged = None
    entries, seen_in = {}, {}
    for series in series_list:
        template = polib.pofile(fresh_by_series[series])
        merged = merged or template
        for entry in template:
            key = _key(entry)
            seen_in.setdefault(key, []).append(series)
            if key in entries:
                known = entries[key]
                known.occurrences = sorted(set(known.occurrences) | set(entry.occurrences))
            else:
                entries[key] = entry
    union = polib.POFile(wrapwidth=merged.wrapwidth)
    union.metadata = dict(merged.metadata)
    union.header = merged.header
    for key in sorted(entries, key=lambda key: (key[1], key[0] or "")):
        entry = entries[key]
        lines = [line for line in (entry.comment or "").splitlines() if not line.startswith(ONLY_ON)]
        if len(seen_in[key]) < len(series_list):
            lines.append(ONLY_ON + ", ".join(seen_in[key]))
        entry.comment = "\n".join(lines)
        union.append(entry)
    return union


def update(fresh_by_series):
    fresh = _union(fresh_by_series)
    _clean_header(fresh)
    fresh.save(str(POT))
    for po_path in sorted(I18N.glob("*.po")):
        lang = po_path.stem
        old = {_key(entry): entry for entry in polib.pofile(str(po_path))}
        merged = polib.pofile(str(POT))
        _clean_header(merged, PO_HEADER.get(lang))
        missing = 0
        for entry in merged:
            previous = old.get(_key(entry))
            entry.msgstr = previous.msgstr if previous else ""
            missing += not entry.msgstr
        merged.save(str(po_path))
        print(f"{po_path.name}: {len(merged)} terms, {missing} untranslated")


def problems(series, fresh_path):
    """Every way the committed files differ from the fresh template of ``series``."""
    found = []
    fresh_keys = {_key(entry) for entry in polib.pofile(fresh_path)}
    pot = {_key(entry): entry for entry in polib.pofile(str(POT))}
    for key in sorted(fresh_keys - set(pot), key=str):
        found.append(f"customer_abc.pot lacks {key[1]!r} (run `make pot`)")
    for key, entry in sorted(pot.items(), key=lambda item: str(item[0])):
        only_on = _only_on(entry)
        if key not in fresh_keys and (only_on is None or series in only_on.split(", ")):
            found.append(f"customer_abc.pot has a stale term {key[1]!r} for Odoo {series} (run `make pot`)")
        elif key in fresh_keys and only_on is not None and series not in only_on.split(", "):
            found.append(f"customer_abc.pot marks {key[1]!r} {ONLY_ON}{only_on}, Odoo {series} has it too")
    for po_path in sorted(I18N.glob("*.po")):
        entries = {_key(entry): entry for entry in polib.pofile(str(po_path))}
        for key in sorted(fresh_keys, key=str):
            entry = entries.get(key)
            if entry is None or not entry.msgstr:
                found.append(f"{po_path.name}: untranslated {key[1]!r}")
                continue
            if entry.fuzzy:
                found.append(f"{po_path.name}: fuzzy {key[1]!r}")
            source = sorted(PLACEHOLDER.findall(entry.msgid))
            target = sorted(PLACEHOLDER.findall(entry.msgstr))
            if source != target:
                found.append(f"{po_path.name}: placeholders differ in {key[1]!r}: {source} != {target}")
    return found


def main(argv):
    if len(argv) < 3 or argv[1] not in ("update", "check") or (argv[1] == "check" and len(argv) != 4):
        sys.exit(__doc__)
    if argv[1] == "update":
        if not all("=" in arg for arg in argv[2:]):
            sys.exit(__doc__)
        update(dict(arg.split("=", 1) for arg in argv[2:]))
        return
    found = problems(argv[2], argv[3])
    for line in found:
        print(f"i18n: {line}")
    if found:
        sys.exit(1)
    print(f"i18n: customer_abc.pot is current for Odoo {argv[2]} and every .po in {I18N.name}/ translates all of it")


if __name__ == "__main__":
    main(sys.argv)

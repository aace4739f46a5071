"""Keep customer_abc/i18n complete.

    python tools/i18n.py update POT    # write POT as the module's .pot and merge it into every .po
    python tools/i18n.py check POT     # fail when the committed .pot or a .po differs from POT

POT is a template freshly exported by Odoo (``odoo-bin --i18n-export``) from
a database where the addon is installed; `make pot` and `make test` do that.
"""

import pathlib
import re
import sys

import polib

I18N = pathlib.Path(__file__).resolve().parents[1] / "customer_abc" / "i18n"
POT = I18N / "customer_abc.pot"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{\{.*?\}\}|<[^>]+>")

PO_HEADER = {
    "zh_CN": {"Language": "zh_CN", "Plural-Forms": "nplurals=1; plural=0;"},
}


def _key(entry):
    return (entry.msgctxt, entry.msgid)


def _clean_header(pofile, extra=None):
    pofile.metadata.update(
        {
            "Project-Id-Version": "Odoo Server 18.0",
            "POT-Creation-Date": "",
            "PO-Revision-Date": "",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "",
        }
    )
    pofile.metadata.update(extra or {})


def update(fresh_path):
    fresh = polib.pofile(fresh_path)
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


def problems(fresh_path):
    """Every way the committed files differ from the fresh template."""
    found = []
    fresh_keys = {_key(entry) for entry in polib.pofile(fresh_path)}
    pot_keys = {_key(entry) for entry in polib.pofile(str(POT))}
    for key in sorted(fresh_keys - pot_keys, key=str):
        found.append(f"customer_abc.pot lacks {key[1]!r} (run `make pot`)")
    for key in sorted(pot_keys - fresh_keys, key=str):
        found.append(f"customer_abc.pot has a stale term {key[1]!r} (run `make pot`)")
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
    if len(argv) != 3 or argv[1] not in ("update", "check"):
        sys.exit(__doc__)
    if argv[1] == "update":
        update(argv[2])
        return
    found = problems(argv[2])
    for line in found:
        print(f"i18n: {line}")
    if found:
        sys.exit(1)
    print(f"i18n: customer_abc.pot is current and every .po in {I18N.name}/ translates all of it")


if __name__ == "__main__":
    main(sys.argv)

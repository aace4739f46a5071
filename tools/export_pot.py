# Run inside `odoo-bin shell`: write the translation template of customer_abc
# to $POT_OUT, as `--i18n-export` (18.0) and `i18n export` (19.0) would, the
# same way on both series (and with the shell's database options).
# ruff: noqa: F821  (``env`` is provided by the shell)
import os

from odoo.tools.translate import TranslationFileWriter, TranslationModuleReader

with open(os.environ["POT_OUT"], "wb") as buffer:
    TranslationFileWriter(buffer, fileformat="po", lang=False).write_rows(
        TranslationModuleReader(env.cr, modules=["customer_abc"], lang=False)
    )
print("POT EXPORTED")

# Run inside `odoo-bin shell` after `-u customer_abc` with the CURRENT code:
# the data of tools/upgrade_seed.py is still there and the new code works on it.
# ruff: noqa: F821  (``env`` is provided by the shell)
import json
from datetime import date

seed = json.loads(env["ir.config_parameter"].get_param("customer_abc.upgrade_seed"))
Profile = env["customer.abc.profile"]
History = env["customer.abc.history"]
partners = env["res.partner"].browse(seed["partners"])
problems = []
if Profile.search_count([("partner_id", "in", partners.ids)]) != seed["profiles"]:
    problems.append("profiles lost")
if History.search_count([("partner_id", "in", partners.ids)]) != seed["history"]:
    problems.append("history lost")
for profile in Profile.search([("partner_id", "in", partners.ids)]):
    if profile.grade != seed["grades"][str(profile.partner_id.id)]:
        problems.append(f"grade of {profile.partner_id.name} changed by the upgrade")
kept = Profile.search([("partner_id", "=", partners[1].id)])
if (kept.manual_grade, kept.manual_reason) != ("A", "Kept through the upgrade"):
    problems.append("manual override lost")
module = env["ir.module.module"].search([("name", "=", "customer_abc")])
if module.latest_version != module.installed_version:  # installed_version: the code's, completed with the series
    problems.append(f"at {module.latest_version}, not upgraded to {module.installed_version}")
# 1.3.0: the partners' grade fields read the profiles; their old jsonb columns are gone
env.cr.execute(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner' AND column_name = ANY(%s)",
    [list(env["res.partner"]._abc_profile_field_map())],
)
if env.cr.fetchall():
    problems.append("the partner table still has the grade columns of 1.2.0")
for partner in partners:
    profile = Profile.search([("partner_id", "=", partner.id)])
    if profile and partner.abc_grade != profile.grade:
        problems.append(f"{partner.name}: the contact shows {partner.abc_grade}, the profile {profile.grade}")

# 1.4.0: the history's unique key leads with the customer; the separate index on it is gone
env.cr.execute(
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'customer_abc_history' "
    "AND (indexname = 'customer_abc_history__partner_id_index' OR indexname LIKE '%%partner_period_uniq')"
)
indexes = dict(env.cr.fetchall())
if "customer_abc_history__partner_id_index" in indexes:
    problems.append("the history still has the separate index on the customer of 1.3.0")
if not any("(partner_id, company_id, period_start)" in definition for definition in indexes.values()):
    problems.append(f"the history's unique key does not lead with the customer: {indexes}")

# the new code classifies the upgraded data
Profile.classify(today=date(2024, 3, 15))
for profile in Profile.search([("partner_id", "in", partners.ids)]):
    if not profile.lifecycle or not profile.sync_hash:
        problems.append(f"{profile.partner_id.name}: new figures missing after a run")
if kept.grade != "A" or not kept.grade_differs:
    problems.append("manual override not applied after a run")
env.cr.rollback()
print("UPGRADE PROBLEMS", problems) if problems else print("UPGRADE OK")

# Run inside `odoo-bin shell`: classify every company, then print customers
# per grade for each stored period and the current lifecycle picture.
# ruff: noqa: F821  (``env`` is provided by the shell)
from collections import Counter, defaultdict

# English and Simplified Chinese are both loaded: the administrator and emma.clark
# work in English, li.wei and zhang.min in Chinese (switch in the user menu)
env.ref("base.user_admin").lang = "en_US"
Profile = env["customer.abc.profile"]
# what the scheduled action does, now: the install's backfill of 12 periods, run by run
Classifier = env["customer.abc.classifier"]
Classifier._cron_classify()
while Classifier._pending_runs():
    Classifier._cron_classify()
# and the first nightly run after it: follow-ups of the graded period, outcomes of the playbook
Profile.classify()
env.cr.commit()

for company in env["res.company"].search([]):
    history = env["customer.abc.history"].search_read(
        [("company_id", "=", company.id)], ["period_start", "grade", "amount"]
    )
    if not history:
        continue
    counts = defaultdict(Counter)
    amounts = defaultdict(float)
    for row in history:
        counts[row["period_start"]][row["grade"]] += 1
        amounts[row["period_start"]] += row["amount"]
    print(f"\n{company.name} ({company.currency_id.name}), method {company.abc_method}, per {company.abc_period}")
    print(f"{'period':<10} {'A':>5} {'B':>5} {'C':>5} {'D':>5} {'amount':>14}")
    for start in sorted(counts):
        row = counts[start]
        print(f"{start:%Y-%m}    {row['A']:>5} {row['B']:>5} {row['C']:>5} {row['D']:>5} {amounts[start]:>14,.2f}")
    profiles = Profile.search([("company_id", "=", company.id)])
    grades = Counter(profiles.mapped("grade"))
    print("now: " + ", ".join(f"{grade} {grades[grade]}" for grade in "ABCD") + f" ({len(profiles)} customers)")
    segments = Counter(profiles.filtered("rfm_segment").mapped("rfm_segment"))
    labels = dict(Profile._fields["rfm_segment"].selection)
    print("RFM segments: " + ", ".join(f"{labels[key]} {count}" for key, count in segments.most_common()))
    late = Profile.with_company(company).search_count([("company_id", "=", company.id), ("is_late", "=", True)])
    expected = Profile.search_count([("company_id", "=", company.id), ("expected_order_date", "!=", False)])
    print(f"next expected order known for {expected} customers, {late} late for their usual order")
    actions = env["customer.abc.action"].search([("company_id", "=", company.id)])
    redeemed = sum(actions.mapped("coupon_redeemed"))
    print(f"playbook: {len(actions)} actions, {sum(actions.mapped('won_back'))} won back, {redeemed} coupons redeemed")
    for group in ("treated", "held_out"):
        rows = actions.filtered(lambda action, group=group: action.group == group and action.holdout_pct > 0)
        print(f"  {group}: {len(rows)} follow-ups with a control group, {sum(rows.mapped('won_back'))} won back")

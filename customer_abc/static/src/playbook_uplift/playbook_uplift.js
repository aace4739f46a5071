import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { money, percent } from "../utils/abc_format";

const VERDICT_CLASSES = {
    more: "text-bg-success",
    fewer: "text-bg-danger",
    unclear: "text-bg-secondary",
    not_enough: "text-bg-light border",
};

/**
 * Control group uplift: per kind of action and previous grade, treated
 * customers against held-out ones.  Every figure comes from
 * customer.abc.action.get_uplift_data; this component only renders.
 */
export class PlaybookUplift extends Component {
    static template = "customer_abc.PlaybookUplift";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.verdictClasses = VERDICT_CLASSES;
        this.state = useState({ data: null, loading: true });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.loading = true;
        this.state.data = await this.orm.call("customer.abc.action", "get_uplift_data", []);
        this.state.loading = false;
    }

    rowKey(row) {
        return `${row.kind}-${row.previous_grade || ""}-${row.is_total ? "total" : "grade"}`;
    }

    rate(value) {
        return value === null ? "—" : percent(value);
    }

    points(value) {
        if (value === null) {
            return "—";
        }
        const text = formatFloat(Math.abs(value), { digits: [false, 1] });
        return `${value > 0 ? "+" : value < 0 ? "−" : ""}${text}`;
    }

    interval(row) {
        if (row.ci_low_pp === null) {
            return "—";
        }
        return _t("%(low)s to %(high)s", { low: this.points(row.ci_low_pp), high: this.points(row.ci_high_pp) });
    }

    money(value) {
        return value === null ? "—" : money(value, this.state.data.currency_id);
    }

    signedMoney(value) {
        if (value === null) {
            return "—";
        }
        return `${value > 0 ? "+" : ""}${money(value, this.state.data.currency_id)}`;
    }

    get introSentence() {
        return _t(
            "%(company)s holds out %(pct)s of the customers who qualify for a follow-up. A group needs at least %(min)s customers won back and %(min)s not won back before its difference can be trusted.",
            {
                company: this.state.data.company,
                pct: percent(this.state.data.holdout_pct),
                min: this.state.data.min_outcomes,
            }
        );
    }

    get runningSentence() {
        return _t("%s actions are still in their win-back window and are not counted yet.", this.state.data.running);
    }

    async openActions(row) {
        const domain = [
            ["kind", "=", row.kind],
            ["source", "in", ["followup", "coupon"]],
            ["holdout_pct", ">", 0],
        ];
        if (!row.is_total) {
            domain.push(["previous_grade", "=", row.previous_grade || false]);
        }
        await this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("%(kind)s: %(grade)s", { kind: row.kind_label, grade: row.grade_label }),
            res_model: "customer.abc.action",
            views: [
                [false, "list"],
                [false, "pivot"],
            ],
            domain,
            context: { search_default_group_group: 1 },
        });
    }
}

registry.category("actions").add("customer_abc.playbook_uplift", PlaybookUplift);

import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { GRADE_BADGES, money, percent, periodLabel } from "../utils/abc_format";

/** Fixed thresholds and cumulative shares side by side on one period. */
export class MethodComparison extends Component {
    static template = "customer_abc.MethodComparison";
    static props = {
        comparison: Object,
        currencyId: Number,
        onOpenPortrait: Function,
    };

    static SHOWN = 10;

    setup() {
        this.badges = GRADE_BADGES;
        this.state = useState({ showAll: false });
    }

    get shownRows() {
        const rows = this.props.comparison.differ;
        return this.state.showAll ? rows : rows.slice(0, MethodComparison.SHOWN);
    }

    get hiddenCount() {
        return this.props.comparison.differ.length - this.shownRows.length;
    }

    money(value) {
        return money(value, this.props.currencyId);
    }

    percent(value) {
        return percent(value);
    }

    get methodSentence() {
        const method = this.props.comparison.method === "share" ? _t("Cumulative share") : _t("Fixed thresholds");
        return _t("Current method: %s.", method);
    }

    get valuesSentence() {
        const { thresholds, shares } = this.props.comparison;
        return _t("Thresholds %(a)s / %(b)s / %(c)s; shares %(share_a)s + %(share_b)s.", {
            a: this.money(thresholds[0]),
            b: this.money(thresholds[1]),
            c: this.money(thresholds[2]),
            share_a: this.percent(shares[0]),
            share_b: this.percent(shares[1]),
        });
    }

    get showMoreLabel() {
        return _t("Show %s more", this.hiddenCount);
    }

    get unlistedLabel() {
        return _t("%s more are not listed.", this.unlistedCount);
    }

    /** Customers graded differently beyond the largest ones the server listed. */
    get unlistedCount() {
        const comparison = this.props.comparison;
        return comparison.differ_count - comparison.differ.length;
    }
}

/**
 * Client action: the comparison alone, e.g. from the "Preview" button of the
 * settings with the values being edited (params.settings), before they are saved.
 */
export class MethodComparisonAction extends Component {
    static template = "customer_abc.MethodComparisonAction";
    static components = { MethodComparison };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.settings = this.props.action.params?.settings || null;
        this.state = useState({ data: null, loading: true, periodStart: false });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.loading = true;
        this.state.data = await this.orm.call("customer.abc.cockpit", "get_comparison_data", [], {
            period_start: this.state.periodStart || false,
            scope: "all",
            settings: this.settings,
        });
        this.state.loading = false;
    }

    periodLabel(period) {
        return periodLabel(period);
    }

    async onPeriodChange(ev) {
        this.state.periodStart = ev.target.value;
        await this.load();
    }

    async openPortrait(partnerId) {
        const action = await this.orm.call("customer.abc.cockpit", "action_open_portrait", [partnerId]);
        await this.action.doAction(action);
    }
}

registry.category("actions").add("customer_abc.method_comparison", MethodComparisonAction);

import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { AbcChart } from "../abc_chart/abc_chart";
import {
    GRADE_BADGES,
    GRADE_COLORS,
    RFM_COLORS,
    dateLabel,
    hexToRgba,
    monthLabel,
    money,
    number,
    percent,
    periodLabel,
    weekdayLabels,
} from "../utils/abc_format";

const CATEGORY_COLORS = ["#714b67", "#17a2b8", "#28a745", "#f0ad4e", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#adb5bd"];

/**
 * The portrait of one customer: KPIs, trend, preferences, ordering habits,
 * grade history and the usual items not bought this period.  The partner
 * comes from the action's params (or the URL's resId on reload).
 */
export class CustomerAbcPortrait extends Component {
    static template = "customer_abc.Portrait";
    static components = { Layout, AbcChart };
    static props = { ...standardActionServiceProps };
    static path = "customer-portrait";

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.badges = GRADE_BADGES;
        this.partnerId =
            this.props.resId ||
            this.props.action.params?.partner_id ||
            this.props.action.context?.active_id ||
            false;
        this.state = useState({ data: null });
        onWillStart(() => {
            this.load();
        });
    }

    async load() {
        if (!this.partnerId) {
            this.state.data = { missing: true };
            return;
        }
        const data = await this.orm.call("customer.abc.cockpit", "get_portrait_data", [this.partnerId]);
        this.charts = data.missing ? {} : this.buildCharts(data);
        this.state.data = data;
        if (!data.missing) {
            // the URL names the customer, so that a reload shows the same portrait
            this.props.updateActionState?.({ resId: data.partner.id });
            this.env.config.setDisplayName(data.partner.name);
        }
    }

    money(value, humanReadable = false) {
        return money(value, this.state.data.currency_id, humanReadable);
    }

    percent(value) {
        return percent(value);
    }

    number(value, digits = 1) {
        return number(value, digits);
    }

    dateLabel(value) {
        return dateLabel(value);
    }

    periodLabel(period) {
        return periodLabel(period);
    }

    historyPeriodLabel(row) {
        const months = luxon.DateTime.fromISO(row.end).diff(luxon.DateTime.fromISO(row.start), "months").months;
        return periodLabel({ start: row.start, kind: Math.round(months) === 3 ? "quarter" : "month" });
    }

    get ordersSentence() {
        const kpis = this.state.data.kpis;
        return _t("First order %(first)s, last order %(last)s.", {
            first: dateLabel(kpis.first_order_date),
            last: dateLabel(kpis.last_order_date),
        });
    }

    get usualItemsSentence() {
        const usual = this.state.data.usual_periods;
        return _t(
            "Bought in at least %(min)s of the last %(count)s periods, but not yet in %(current)s: talking points for the next call.",
            {
                min: usual.min_periods,
                count: usual.completed.length,
                current: periodLabel(usual.current),
            }
        );
    }

    get rhythmSentence() {
        const next = this.state.data.kpis.next_order;
        return _t("Orders every %(median)s days (middle half: %(p25)s–%(p75)s days).", {
            median: number(next.median_gap_days, 0),
            p25: number(next.gap_p25_days, 0),
            p75: number(next.gap_p75_days, 0),
        });
    }

    /** "Late by N days" past the tolerance, else when it is due. */
    get dueLabel() {
        const next = this.state.data.kpis.next_order;
        const days = next.days_late;
        if (next.is_late) {
            return days === 1 ? _t("Late by 1 day") : _t("Late by %(days)s days", { days });
        }
        if (days < 0) {
            return -days === 1 ? _t("In 1 day") : _t("In %(days)s days", { days: -days });
        }
        return _t("Due, within the tolerance of %(days)s days", { days: next.tolerance_days });
    }

    get notEnoughSentence() {
        return _t("Not enough orders to tell (fewer than %(min)s order days).", {
            min: this.state.data.kpis.next_order.min_order_days,
        });
    }

    get rfmSentence() {
        const rfm = this.state.data.kpis.rfm;
        return _t(
            "Recency %(r)s, frequency %(f)s, monetary %(m)s (5 = best): %(orders)s orders for %(amount)s.",
            {
                r: rfm.r_score,
                f: rfm.f_score,
                m: rfm.m_score,
                orders: rfm.frequency,
                amount: this.money(rfm.monetary),
            }
        );
    }

    get rfmBadgeStyle() {
        return `background-color: ${hexToRgba(RFM_COLORS[this.state.data.kpis.rfm.segment], 0.35)};`;
    }

    get location() {
        const partner = this.state.data.partner;
        return [partner.city, partner.state, partner.country].filter(Boolean).join(", ");
    }

    get kpiTiles() {
        const kpis = this.state.data.kpis;
        const none = "—";
        return [
            { key: "lifetime_amount", label: _t("Lifetime sales"), value: this.money(kpis.lifetime_amount, true) },
            { key: "lifetime_orders", label: _t("Orders"), value: String(kpis.lifetime_orders) },
            { key: "average_order_value", label: _t("Average order"), value: this.money(kpis.average_order_value, true) },
            { key: "orders_per_month", label: _t("Orders per month"), value: this.number(kpis.orders_per_month) },
            {
                key: "median_gap_days",
                label: _t("Usual gap (days)"),
                value: kpis.median_gap_days === false ? none : this.number(kpis.median_gap_days, 0),
            },
            {
                key: "days_since_last_order",
                label: _t("Days since last order"),
                value: kpis.days_since_last_order === false ? none : String(kpis.days_since_last_order),
            },
            { key: "receivable_amount", label: _t("Receivable"), value: this.money(kpis.receivable_amount, true) },
            {
                key: "overdue_amount",
                label: _t("Overdue"),
                value: this.money(kpis.overdue_amount, true),
                tone: kpis.overdue_amount > 0 ? "text-danger" : "",
            },
        ];
    }

    buildCharts(data) {
        const monthly = data.monthly;
        const categories = data.categories;
        const categoryLabels = categories.rows.map((row) => row.name);
        const categoryValues = categories.rows.map((row) => row.share_pct);
        if (categories.other_share_pct > 0) {
            categoryLabels.push(_t("Other"));
            categoryValues.push(categories.other_share_pct);
        }
        return {
            monthly: {
                type: "bar",
                data: {
                    labels: monthly.months.map(monthLabel),
                    datasets: [
                        {
                            label: _t("Amount"),
                            data: monthly.amounts,
                            backgroundColor: "rgba(113, 75, 103, 0.7)",
                            yAxisID: "y",
                            order: 2,
                        },
                        {
                            type: "line",
                            label: _t("Orders"),
                            data: monthly.counts,
                            borderColor: "#17a2b8",
                            backgroundColor: "#17a2b8",
                            yAxisID: "y1",
                            order: 1,
                        },
                    ],
                },
                options: {
                    maintainAspectRatio: false,
                    animation: false,
                    scales: {
                        y: { beginAtZero: true, title: { display: true, text: _t("Amount") } },
                        y1: {
                            beginAtZero: true,
                            position: "right",
                            grid: { drawOnChartArea: false },
                            ticks: { precision: 0 },
                            title: { display: true, text: _t("Orders") },
                        },
                    },
                },
            },
            weekdays: {
                type: "bar",
                data: {
                    labels: weekdayLabels(),
                    datasets: [
                        { label: _t("Orders"), data: data.weekdays.counts, backgroundColor: "#17a2b8" },
                    ],
                },
                options: {
                    maintainAspectRatio: false,
                    animation: false,
                    plugins: { legend: { display: false } },
                    scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
                },
            },
            categories: {
                type: "doughnut",
                data: {
                    labels: categoryLabels,
                    datasets: [
                        {
                            data: categoryValues,
                            backgroundColor: categoryLabels.map((_label, index) => CATEGORY_COLORS[index % CATEGORY_COLORS.length]),
                        },
                    ],
                },
                options: {
                    maintainAspectRatio: false,
                    animation: false,
                    plugins: { legend: { position: "right" } },
                },
            },
            history: {
                type: "bar",
                data: {
                    labels: data.history.map((row) => this.historyPeriodLabel(row)),
                    datasets: [
                        {
                            label: _t("Amount"),
                            data: data.history.map((row) => row.amount),
                            backgroundColor: data.history.map((row) => GRADE_COLORS[row.grade]),
                        },
                    ],
                },
                options: {
                    maintainAspectRatio: false,
                    animation: false,
                    plugins: { legend: { display: false } },
                    scales: { y: { beginAtZero: true } },
                },
            },
        };
    }

    async openProfile() {
        await this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "customer.abc.profile",
            res_id: this.state.data.partner.profile_id,
            views: [[false, "form"]],
        });
    }

    async openOrders() {
        await this.action.doAction("sale.action_orders", {
            additionalContext: { search_default_partner_id: this.state.data.partner.id },
        });
    }
}

registry.category("actions").add("customer_abc.portrait", CustomerAbcPortrait);

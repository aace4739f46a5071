import { Component, onWillStart, useEffect, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { AbcChart } from "../abc_chart/abc_chart";
import { MethodComparison } from "../method_comparison/method_comparison";
import {
    GRADE_BADGES,
    GRADE_COLORS,
    LIFECYCLE_COLORS,
    RFM_COLORS,
    hexToRgba,
    money,
    percent,
    periodLabel,
} from "../utils/abc_format";

/**
 * The cockpit: tiles, charts and lists of the company's customers for one
 * graded period.  Every figure comes from customer.abc.cockpit.get_cockpit_data;
 * a tile or a matrix cell asks the server for the list behind it.
 */
export class CustomerAbcCockpit extends Component {
    static template = "customer_abc.Cockpit";
    static components = { Layout, AbcChart, MethodComparison };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.badges = GRADE_BADGES;
        this.rootRef = useRef("root");
        // back from a list through the breadcrumbs: same period, scope and scroll
        const restored = this.props.state || {};
        this.state = useState({
            data: null,
            loading: true,
            periodStart: restored.periodStart || this.props.action.context.period_start || false,
            scope: restored.scope || this.props.action.context.scope || "all",
        });
        this.pendingScroll = restored.scrollTop || 0;
        useSetupAction({
            getLocalState: () => ({
                periodStart: this.state.periodStart,
                scope: this.state.scope,
                scrollTop: this.contentEl?.scrollTop || 0,
            }),
        });
        useEffect(
            (data) => {
                if (data && this.pendingScroll && this.contentEl) {
                    this.contentEl.scrollTop = this.pendingScroll;
                    this.pendingScroll = 0;
                }
            },
            () => [this.state.data]
        );
        onWillStart(() => {
            // render the frame (and its loading state) at once; figures follow
            this.load();
        });
    }

    get contentEl() {
        return this.rootRef.el?.querySelector(".o_content");
    }

    async load() {
        this.state.loading = true;
        const data = await this.orm.call("customer.abc.cockpit", "get_cockpit_data", [], {
            period_start: this.state.periodStart || false,
            scope: this.state.scope,
        });
        this.state.data = data;
        this.state.periodStart = data.period ? data.period.start : false;
        this.charts = data.empty ? {} : this.buildCharts(data);
        this.state.loading = false;
    }

    // ------------------------------------------------------------------
    // rendering helpers
    // ------------------------------------------------------------------

    money(value, humanReadable = false) {
        return money(value, this.state.data.currency_id, humanReadable);
    }

    percent(value) {
        return percent(value);
    }

    periodLabel(period) {
        return periodLabel(period);
    }

    previousLabel(grade) {
        return grade || _t("New");
    }

    get paretoSentence() {
        const pareto = this.state.data.pareto;
        return _t("The top %(pct)s of buying customers (%(count)s of %(total)s) made %(share)s of the period's sales.", {
            pct: percent(pareto.top_pct, 0),
            count: pareto.top_count,
            total: pareto.customers,
            share: percent(pareto.top_share_pct),
        });
    }

    cellStyle(cell) {
        const max = this.state.data.matrix.max_count;
        if (!cell.count || !max) {
            return "";
        }
        const alpha = 0.12 + (0.5 * cell.count) / max;
        return `background-color: rgba(113, 75, 103, ${alpha.toFixed(2)});`;
    }

    /** A grid cell in its segment's colour, deeper with more customers. */
    rfmCellStyle(cell) {
        const max = this.state.data.rfm_grid.max_count;
        const alpha = cell.count && max ? 0.2 + (0.35 * cell.count) / max : 0.07;
        return `background-color: ${hexToRgba(RFM_COLORS[cell.segment], alpha)};`;
    }

    rfmSwatchStyle(segment) {
        return `width: 0.9rem; height: 0.9rem; background-color: ${hexToRgba(RFM_COLORS[segment], 0.6)};`;
    }

    get rfmCaption() {
        const grid = this.state.data.rfm_grid;
        if (!grid.customers && !grid.unscored) {
            return _t("No customer to score yet.");
        }
        return _t(
            "%(count)s customers with an RFM score; %(unscored)s without an order in the last 12 months are not on the grid.",
            { count: grid.customers, unscored: grid.unscored }
        );
    }

    buildCharts(data) {
        const gradeChart = data.grade_chart;
        const grades = gradeChart.grades;
        const trend = data.lifecycle_trend;
        return {
            grades: {
                type: "bar",
                data: {
                    labels: grades,
                    datasets: [
                        {
                            label: _t("Customers"),
                            data: gradeChart.counts,
                            backgroundColor: grades.map((grade) => GRADE_COLORS[grade]),
                            yAxisID: "y",
                        },
                        {
                            type: "line",
                            label: _t("Share of sales (%)"),
                            data: gradeChart.share_pcts,
                            borderColor: "#714b67",
                            backgroundColor: "#714b67",
                            yAxisID: "y1",
                        },
                    ],
                },
                options: {
                    maintainAspectRatio: false,
                    animation: false,
                    scales: {
                        y: { beginAtZero: true, title: { display: true, text: _t("Customers") } },
                        y1: {
                            beginAtZero: true,
                            max: 100,
                            position: "right",
                            grid: { drawOnChartArea: false },
                            title: { display: true, text: _t("Share of sales (%)") },
                        },
                    },
                },
            },
            pareto: {
                type: "line",
                data: {
                    datasets: [
                        {
                            label: _t("Cumulative share of sales (%)"),
                            data: data.pareto.curve.map(([x, y]) => ({ x, y })),
                            borderColor: "#714b67",
                            backgroundColor: "rgba(113, 75, 103, 0.15)",
                            fill: true,
                            pointRadius: 0,
                        },
                        {
                            label: _t("Even spread"),
                            data: [
                                { x: 0, y: 0 },
                                { x: 100, y: 100 },
                            ],
                            borderColor: "#adb5bd",
                            borderDash: [4, 4],
                            pointRadius: 0,
                        },
                    ],
                },
                options: {
                    maintainAspectRatio: false,
                    animation: false,
                    scales: {
                        x: {
                            type: "linear",
                            min: 0,
                            max: 100,
                            title: { display: true, text: _t("Customers, largest first (%)") },
                        },
                        y: { min: 0, max: 100, title: { display: true, text: _t("Share of sales (%)") } },
                    },
                },
            },
            lifecycle: {
                type: "bar",
                data: {
                    labels: trend.periods.map((start) =>
                        periodLabel({ start, kind: data.period.kind })
                    ),
                    datasets: trend.series.map((serie) => ({
                        label: serie.label,
                        data: serie.counts,
                        backgroundColor: LIFECYCLE_COLORS[serie.state],
                    })),
                },
                options: {
                    maintainAspectRatio: false,
                    animation: false,
                    scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
                },
            },
        };
    }

    // ------------------------------------------------------------------
    // handlers
    // ------------------------------------------------------------------

    async onPeriodChange(ev) {
        this.state.periodStart = ev.target.value;
        await this.load();
    }

    async onScopeChange(scope) {
        if (scope !== this.state.scope) {
            this.state.scope = scope;
            await this.load();
        }
    }

    async openSegment(segment, extra = {}) {
        const action = await this.orm.call("customer.abc.cockpit", "action_open_segment", [segment], {
            period_start: this.state.periodStart,
            scope: this.state.scope,
            ...extra,
        });
        await this.action.doAction(action);
    }

    openCell(row, cell) {
        return this.openSegment("transition", {
            previous_grade: row.previous_grade,
            grade: cell.grade,
        });
    }

    async openRfmCell(cell) {
        const action = await this.orm.call(
            "customer.abc.cockpit",
            "action_open_rfm_cell",
            [cell.r_score, cell.f_score],
            { scope: this.state.scope }
        );
        await this.action.doAction(action);
    }

    async openPortrait(partnerId) {
        const action = await this.orm.call("customer.abc.cockpit", "action_open_portrait", [partnerId]);
        await this.action.doAction(action);
    }

    async classifyNow() {
        // the classification runs in the background; the server says so (and when it is done)
        const notification = await this.orm.call("customer.abc.classifier", "action_classify_now", []);
        await this.action.doAction(notification);
        await this.load();
    }
}

registry.category("actions").add("customer_abc.cockpit", CustomerAbcCockpit);

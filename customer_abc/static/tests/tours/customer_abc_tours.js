import { registry } from "@web/core/registry";

/** A step that fails unless the list shows exactly ``count`` records. */
function listCount(count, names = []) {
    return {
        content: `the list shows ${count} customers`,
        trigger: ".o_list_view .o_data_row",
        run() {
            const rows = document.querySelectorAll(".o_list_view .o_data_row");
            const limit = document.querySelector(".o_pager_limit")?.textContent.trim();
            if (rows.length !== count || limit !== String(count)) {
                throw new Error(`expected ${count} records, got ${rows.length} rows (pager: ${limit})`);
            }
            for (const name of names) {
                if (![...rows].some((row) => row.textContent.includes(name))) {
                    throw new Error(`${name} is not in the list`);
                }
            }
        },
    };
}

/** A step that fails unless Chart.js drew on the canvas of ``chart``. */
function chartDrawn(chart) {
    const selector = `.o_abc_chart[data-chart=${chart}] canvas`;
    return {
        content: `the ${chart} chart is drawn`,
        trigger: selector,
        run() {
            const canvas = document.querySelector(selector);
            if (!window.Chart || !window.Chart.getChart(canvas) || !canvas.width || !canvas.height) {
                throw new Error(`no chart on ${selector}`);
            }
        },
    };
}

registry.category("web_tour.tours").add("customer_abc_cockpit_tour", {
    url: "/odoo/customer-cockpit",
    steps: () => [
        {
            content: "the cockpit shows two A customers in February 2024",
            trigger: ".o_abc_tile[data-segment=grade_a] .o_abc_tile_count:contains(2)",
        },
        {
            trigger: ".o_abc_section[data-section=grades] .badge:contains(February 2024)",
        },
        chartDrawn("grades"),
        chartDrawn("pareto"),
        chartDrawn("lifecycle"),
        {
            content: "the top 20 % is written out",
            trigger: ".o_abc_pareto_sentence:contains(1 of 4)",
        },
        {
            content: "open the A customers",
            trigger: ".o_abc_tile[data-segment=grade_a]",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains(A)",
        },
        listCount(2, ["Alpha", "Beta"]),
        {
            content: "back to the cockpit",
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "open the customers who fell from A to C",
            trigger: ".o_abc_matrix_cell[data-previous=A][data-grade=C]",
            run: "click",
        },
        listCount(1, ["Delta"]),
        {
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "the R x F grid: two champions in R 5 F 5, Zeta without a score in the caption",
            trigger: ".o_abc_rfm_cell[data-r='5'][data-f='5'][data-segment=champions] .o_abc_rfm_count:contains(2)",
        },
        {
            trigger: ".o_abc_rfm_cell[data-r='5'][data-f='5'] .o_abc_rfm_label:contains(Champions)",
        },
        {
            trigger: ".o_abc_rfm_caption:contains(7 customers with an RFM score; 1 without)",
        },
        {
            trigger: ".o_abc_rfm_legend tr[data-segment=loyal]:contains(Loyal)",
        },
        {
            content: "open the champions",
            trigger: ".o_abc_rfm_cell[data-r='5'][data-f='5']",
            run: "click",
        },
        listCount(2, ["Alpha", "Beta"]),
        {
            trigger: ".o_breadcrumb:contains(Champions)",
        },
        {
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "an empty cell opens nothing",
            trigger: ".o_abc_rfm_cell[data-r='1'][data-f='5']:not([role=button]) .o_abc_rfm_count:contains(0)",
        },
        {
            content: "two customers are late for their usual order (Beta, exactly at the tolerance, is not)",
            trigger: ".o_abc_tile[data-segment=late] .o_abc_tile_count:contains(2)",
        },
        {
            trigger: ".o_abc_tile[data-segment=late]",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains(Late for usual order)",
        },
        listCount(2, ["Alpha", "Gamma"]),
        {
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "pick January 2024",
            trigger: ".o_abc_period_select",
            run: "select 2024-01-01",
        },
        {
            trigger: ".o_abc_section[data-section=grades] .badge:contains(January 2024)",
        },
        {
            trigger: ".o_abc_tile[data-segment=grade_c] .o_abc_tile_count:contains(2)",
        },
        {
            content: "open January's C customers: the grade history of that period",
            trigger: ".o_abc_tile[data-segment=grade_c]",
            run: "click",
        },
        listCount(2, ["Gamma", "Epsilon"]),
        {
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "back in the cockpit, January 2024 is still picked",
            trigger: ".o_abc_section[data-section=grades] .badge:contains(January 2024)",
        },
        {
            trigger: ".o_abc_tile[data-segment=grade_c] .o_abc_tile_count:contains(2)",
        },
        {
            content: "open the portrait of the top customer",
            trigger: ".o_abc_top_customers .o_abc_portrait_link:contains(Alpha)",
            run: "click",
        },
        {
            trigger: ".o_abc_portrait_name:contains(Alpha)",
        },
        chartDrawn("monthly"),
    ],
});

registry.category("web_tour.tours").add("customer_abc_portrait_tour", {
    steps: () => [
        {
            content: "the portrait of Alpha",
            trigger: ".o_abc_portrait_name:contains(Alpha)",
        },
        {
            trigger: ".o_abc_kpi[data-kpi=lifetime_orders]:contains(2)",
        },
        {
            trigger: ".o_breadcrumb:contains(Alpha)",
        },
        {
            content: "Alpha's RFM segment and code",
            trigger: ".o_abc_portrait_rfm[data-segment=champions]:contains(555)",
        },
        {
            content: "Alpha's next order was expected 8 days ago: late (tolerance 7 days)",
            trigger: ".o_abc_portrait_next_order .o_abc_late:contains(8)",
        },
        {
            trigger: ".o_abc_portrait_next_order .o_abc_rhythm:contains(30)",
        },
        chartDrawn("monthly"),
        chartDrawn("weekdays"),
        chartDrawn("history"),
        {
            content: "open the analysis of the customer",
            trigger: ".o_control_panel button:contains(Analysis)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(Alpha)",
        },
        {
            content: "and back to the portrait from the form's smart button",
            trigger: ".o_form_view button[name=action_open_portrait]",
            run: "click",
        },
        chartDrawn("monthly"),
    ],
});

registry.category("web_tour.tours").add("customer_abc_settings_preview_tour", {
    steps: () => [
        {
            content: "type a threshold A, without saving",
            trigger: ".o_field_widget[name=abc_threshold_a] input",
            run: "edit 60000",
        },
        {
            content: "preview both methods with it",
            trigger: ".o_abc_method_preview",
            run: "click",
        },
        {
            content: "Gamma (70,000) would be A: three A customers with fixed thresholds",
            trigger: ".modal .o_abc_comparison_table tr[data-grade=A] .o_abc_fixed_count:contains(3)",
        },
        {
            trigger: ".modal .o_abc_comparison:contains(Values being edited)",
        },
        {
            content: "close the preview",
            trigger: ".modal .btn-close",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "discard the edited value",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=abc_threshold_a] input:value(100,000.00)",
        },
    ],
});

// a user working in Simplified Chinese: the cockpit's and the settings' labels are translated
registry.category("web_tour.tours").add("customer_abc_zh_cockpit_tour", {
    url: "/odoo/customer-cockpit",
    steps: () => [
        {
            content: "a section title computed in Python",
            trigger: ".o_abc_section[data-section=grades] h5:contains(本期等级)",
        },
        {
            content: "a chart title of the OWL template",
            trigger: ".o_abc_cockpit h5.card-title:contains(等级分布)",
        },
        {
            content: "a tile label",
            trigger: ".o_abc_tile[data-segment=lifecycle_active]:contains(活跃)",
        },
    ],
});

registry.category("web_tour.tours").add("customer_abc_zh_settings_tour", {
    url: "/odoo/action-customer_abc.customer_abc_config_settings_action",
    steps: () => [
        {
            content: "the settings block of the addon",
            trigger: "#customer_abc_method",
        },
        {
            trigger: ".o_setting_container:contains(客户 ABC 分类)",
        },
        {
            trigger: "#customer_abc_method:contains(分类方法)",
        },
    ],
});

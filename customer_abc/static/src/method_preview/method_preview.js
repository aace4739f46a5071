import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * "Preview" in the settings: the two grading methods compared on the last
 * graded period with the thresholds and shares being edited.  It reads the
 * unsaved values of the settings record and does not save them (a button of
 * type "object" would save the settings first).
 */
export class MethodPreviewButton extends Component {
    static template = "customer_abc.MethodPreviewButton";
    static props = { ...standardWidgetProps };

    setup() {
        this.action = useService("action");
    }

    onClick() {
        const values = this.props.record.data;
        this.action.doAction({
            type: "ir.actions.client",
            tag: "customer_abc.method_comparison",
            name: _t("Grading methods compared"),
            target: "new",
            params: {
                settings: {
                    threshold_a: values.abc_threshold_a,
                    threshold_b: values.abc_threshold_b,
                    threshold_c: values.abc_threshold_c,
                    share_a: values.abc_share_a,
                    share_b: values.abc_share_b,
                },
            },
        });
    }
}

registry.category("view_widgets").add("customer_abc_method_preview", {
    component: MethodPreviewButton,
    fieldDependencies: [
        { name: "abc_threshold_a", type: "monetary" },
        { name: "abc_threshold_b", type: "monetary" },
        { name: "abc_threshold_c", type: "monetary" },
        { name: "abc_share_a", type: "float" },
        { name: "abc_share_b", type: "float" },
    ],
});

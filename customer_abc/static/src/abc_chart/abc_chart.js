import { Component, onWillStart, onWillUnmount, useEffect, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";

/**
 * A Chart.js canvas (Odoo's own bundle, no CDN).  The parent computes the
 * configuration from the figures the server sent; a new configuration
 * object redraws the chart.
 */
export class AbcChart extends Component {
    static template = "customer_abc.AbcChart";
    static props = {
        config: Object,
        height: { type: Number, optional: true },
        name: { type: String, optional: true },
    };
    static defaultProps = { height: 260 };

    setup() {
        this.canvasRef = useRef("canvas");
        this.chart = null;
        onWillStart(() => loadBundle("web.chartjs_lib"));
        useEffect(
            (config) => {
                this.chart?.destroy();
                this.chart = new Chart(this.canvasRef.el, config);
            },
            () => [this.props.config]
        );
        onWillUnmount(() => this.chart?.destroy());
    }
}

import { formatCurrency } from "@web/core/currency";
import { formatFloat } from "@web/core/utils/numbers";

const { DateTime } = luxon;

/** Colours of the grades and lifecycle states (the list badges' tones). */
export const GRADE_COLORS = { A: "#28a745", B: "#17a2b8", C: "#f0ad4e", D: "#dc3545" };
export const LIFECYCLE_COLORS = {
    never: "#adb5bd",
    new: "#17a2b8",
    active: "#28a745",
    at_risk: "#f0ad4e",
    churned: "#dc3545",
};
/** Colours of the RFM segments (analytics/rfm.py SEGMENTS): greens for the best, reds at risk, greys asleep. */
export const RFM_COLORS = {
    champions: "#1e7e34",
    loyal: "#28a745",
    potential_loyalist: "#20c997",
    new: "#17a2b8",
    promising: "#5bc0de",
    need_attention: "#f0ad4e",
    about_to_sleep: "#fd7e14",
    at_risk: "#dc3545",
    cant_lose: "#a71d2a",
    hibernating: "#6c757d",
    lost: "#343a40",
};
export const GRADE_BADGES = { A: "text-bg-success", B: "text-bg-info", C: "text-bg-warning", D: "text-bg-danger" };

export function money(value, currencyId, humanReadable = false) {
    return formatCurrency(value || 0, currencyId, { humanReadable });
}

export function percent(value, digits = 1) {
    return `${formatFloat(value || 0, { digits: [false, digits] })} %`;
}

export function number(value, digits = 1) {
    return formatFloat(value || 0, { digits: [false, digits] });
}

/** "February 2024" or "Q1 2024" (localised) for a period {start, kind}. */
export function periodLabel(period) {
    if (!period) {
        return "";
    }
    const start = DateTime.fromISO(period.start);
    if (period.kind === "quarter") {
        return `Q${start.quarter} ${start.year}`;
    }
    return start.toLocaleString({ month: "long", year: "numeric" });
}

/** Short month label ("Feb 24") of an ISO date. */
export function monthLabel(isoDate) {
    return DateTime.fromISO(isoDate).toLocaleString({ month: "short", year: "2-digit" });
}

export function dateLabel(isoDate) {
    return isoDate ? DateTime.fromISO(isoDate).toLocaleString(DateTime.DATE_MED) : "";
}

/** Localised weekday names, Monday first. */
export function weekdayLabels() {
    return luxon.Info.weekdays("short");
}

/** "rgba(r, g, b, alpha)" of a "#rrggbb" colour (grey when unknown). */
export function hexToRgba(hex, alpha) {
    const value = /^#[0-9a-f]{6}$/i.test(hex || "") ? hex : "#adb5bd";
    const [r, g, b] = [1, 3, 5].map((index) => parseInt(value.slice(index, index + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(2)})`;
}

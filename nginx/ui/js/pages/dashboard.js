// A service's dashboard: its key, the size of its collection and its requests per day.

import { admin } from "../api.js";
import { barChart } from "../chart.js";
import { h, heading, replace } from "../dom.js";
import { API_DOCS, keyField, loadService, serviceLinks, serviceTrail, SERVICE_TYPES, typeBadge } from "../service.js";

const DAYS = 30;

/** The last `days` UTC days, oldest first, as "YYYY-MM-DD". */
function lastDays(days) {
  const today = new Date();
  return Array.from({ length: days }, (_, index) => {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (days - 1 - index)));
    return day.toISOString().slice(0, 10);
  });
}

function tile(label, value, id, help = null) {
  return h("div", { class: "tile", id }, h("div", { class: "tile-value", text: value.toLocaleString() }), h("div", { class: "tile-label", text: label }),
    help ? h("small", { class: "muted", text: help }) : null);
}

export async function render(container, { appId, serviceId }) {
  const [{ app, service }, stats] = await Promise.all([loadService(appId, serviceId),
    admin("GET", `/apps/${appId}/services/${serviceId}/stats?days=${DAYS}`)]);
  const counts = Object.fromEntries(stats.requests.map((day) => [day.createdDate.slice(0, 10), day.requestCount]));
  const points = lastDays(DAYS).map((day) => ({ label: day.slice(5), value: counts[day] || 0 }));
  const total = points.reduce((sum, point) => sum + point.value, 0);
  const recognition = service.type === "RECOGNITION";
  replace(container,
    heading(serviceTrail(app, service), typeBadge(service)),
    serviceLinks(app, service, "dashboard"),
    h("p", { class: "muted", text: SERVICE_TYPES[service.type][1] }),
    h("section", { class: "card" }, h("h2", { text: "API key" }), keyField(service.apiKey),
      h("p", { class: "muted" }, "Send it in the x-api-key header of every call to /api/v1; the ",
        h("a", { href: API_DOCS, target: "_blank", rel: "noopener", text: "API documentation" }), " lists the calls.")),
    h("section", { class: "tiles" },
      recognition ? [tile("people (subjects)", stats.subjectCount, "subject-count"),
        tile("faces", stats.faceCount, "face-count", "Examples recognition compares with: one per enrolled photo."),
        tile("faces with their photo kept", stats.imageCount, "image-count",
          stats.imageCount === stats.faceCount ? "Every face keeps the photo it came from (shown in the collection)."
            : "The rest were enrolled while photos were not kept (SAVE_IMAGES_TO_DB=false): they show no picture.")] : null,
      tile(`requests in ${DAYS} days`, total, "request-count")),
    h("section", { class: "card" }, h("h2", { text: "Requests per day (UTC)" }),
      barChart(points, { title: `Requests per day over the last ${DAYS} days`, unit: " requests" }),
      total === 0 ? h("p", { class: "muted", text: "No requests in this period yet: try the service on its test page." }) : null));
}

// A service's dashboard: its key, the size of its collection and its requests per day.

import { admin } from "../api.js";
import { barChart } from "../chart.js";
import { h, heading, replace } from "../dom.js";
import { keyField, loadService, serviceLinks, serviceTrail, typeBadge } from "../service.js";

const DAYS = 30;

/** The last `days` UTC days, oldest first, as "YYYY-MM-DD". */
function lastDays(days) {
  const today = new Date();
  return Array.from({ length: days }, (_, index) => {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (days - 1 - index)));
    return day.toISOString().slice(0, 10);
  });
}

function tile(label, value, id) {
  return h("div", { class: "tile", id }, h("div", { class: "tile-value", text: value.toLocaleString() }), h("div", { class: "muted", text: label }));
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
    h("section", { class: "card" }, h("h2", { text: "API key" }), keyField(service.apiKey),
      h("p", { class: "muted", text: "Send it in the x-api-key header of every call to /api/v1." })),
    h("section", { class: "tiles" },
      recognition ? [tile("subjects", stats.subjectCount, "subject-count"), tile("faces", stats.faceCount, "face-count"),
        tile("stored images", stats.imageCount, "image-count")] : null,
      tile(`requests in ${DAYS} days`, total, "request-count")),
    h("section", { class: "card" }, h("h2", { text: "Requests per day (UTC)" }),
      barChart(points, { title: `Requests per day over the last ${DAYS} days`, unit: " requests" }),
      total === 0 ? h("p", { class: "muted", text: "No requests in this period yet: try the service on its test page." }) : null));
}

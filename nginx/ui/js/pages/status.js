// The installation's status: admin, database, api servers and core, as /admin/status reports them.

import { admin } from "../api.js";
import { busy, h, heading, replace } from "../dom.js";

const NAMES = { admin: "Admin service", database: "Database", api: "API server", core: "Embedding server (core)" };

function badge(state) {
  const kind = state === "OK" ? "ok" : state === "NOT_CONFIGURED" ? "neutral" : "bad";
  return h("span", { class: `badge state ${kind}`, text: String(state).replaceAll("_", " ") });
}

/** One row per part; a part reported as a list (several api servers) gives a row per server. */
function rows(report) {
  return Object.entries(report).filter(([part]) => part !== "status").flatMap(([part, value]) => {
    const name = NAMES[part] || part;
    if (Array.isArray(value)) {
      if (!value.length) return [h("tr", {}, h("td", { text: name }), h("td", { class: "muted", text: "none configured" }), h("td"))];
      return value.map((item) => h("tr", { dataset: { part } }, h("td", { text: name }), h("td", {}, badge(item.status)),
        h("td", { class: "muted", text: item.url || item.address || "" })));
    }
    const state = typeof value === "object" && value !== null ? value.status : value;
    return [h("tr", { dataset: { part } }, h("td", { text: name }), h("td", {}, badge(state)), h("td"))];
  });
}

export async function render(container) {
  const body = h("div");
  const checked = h("span", { class: "muted" });
  const refresh = h("button", { type: "button", text: "Check again", onclick: () => busy(refresh, load) });
  const load = async () => {
    const report = await admin("GET", "/status");
    checked.textContent = `Checked at ${new Date().toLocaleTimeString()}`;
    replace(body,
      h("p", { class: "overall" }, "Overall: ", h("span", { id: "overall-status" }, badge(report.status))),
      h("table", { class: "table", id: "status-table" },
        h("thead", {}, h("tr", {}, ["Part", "State", "Address"].map((title) => h("th", { text: title })))),
        h("tbody", {}, rows(report))));
  };
  replace(container, heading(["Server status"]), h("section", { class: "card" },
    h("div", { class: "panel-head" }, checked, refresh), body));
  await load();
}

// What a service's pages (dashboard, collection, test) and the application page share: loading a
// service, its breadcrumb trail and tabs, its type badge and its API key with a copy button.

import { admin } from "./api.js";
import { busy, copyText, h, toast } from "./dom.js";

/** An application and one of its services (with its key), for the service pages. */
export async function loadService(appId, serviceId) {
  const [app, service] = await Promise.all([
    admin("GET", `/apps/${appId}`),
    admin("GET", `/apps/${appId}/services/${serviceId}`),
  ]);
  return { app, service };
}

/** What each service type is for, where one is chosen or shown. */
export const SERVICE_TYPES = {
  RECOGNITION: ["Recognition", "Keeps a collection of known people and tells who is in a photo (or that a face is unknown)."],
  DETECTION: ["Detection", "Finds the faces in a photo, with age, gender, mask and pose on request; keeps nothing."],
  VERIFICATION: ["Verification", "Compares the face in one photo with the faces in another: same person or not; keeps nothing."],
};

/** Where the REST API is documented (the api servers' Swagger UI, behind the gateway). */
export const API_DOCS = "/swagger/";

/** The breadcrumb trail of a service's pages; the heading names the service and the page ("Staff: Test"). */
export function serviceTrail(app, service, page = null) {
  const base = `#/apps/${app.id}/services/${service.id}`;
  return [["Applications", "#/apps"], [app.name, `#/apps/${app.id}`], ...(page ? [[service.name, base], `${service.name}: ${page}`] : [service.name])];
}

/** Links between a service's pages. */
export function serviceLinks(app, service, current) {
  const base = `#/apps/${app.id}/services/${service.id}`;
  const pages = [["dashboard", "Dashboard", base], ["test", "Test", `${base}/test`]];
  if (service.type === "RECOGNITION") pages.splice(1, 0, ["collection", "Collection", `${base}/collection`]);
  return h("nav", { class: "tabs" }, pages.map(([name, label, href]) =>
    h("a", { href, text: label, class: name === current ? "active" : "", "aria-current": name === current ? "page" : false })),
  h("a", { href: API_DOCS, target: "_blank", rel: "noopener", class: "docs", text: "API documentation ↗" }));
}

/** A service's type as a coloured badge. */
export function typeBadge(service) {
  return h("span", { class: `badge type-${service.type.toLowerCase()}`, text: service.type, title: SERVICE_TYPES[service.type]?.[1] });
}

/** An API key with a copy button. */
export function keyField(apiKey) {
  const copy = h("button", { type: "button", class: "small", text: "Copy", title: "Copy the API key" });
  copy.addEventListener("click", () => busy(copy, async () => {
    await copyText(apiKey);
    toast("API key copied");
  }));
  return h("span", { class: "key" }, h("code", { class: "api-key", text: apiKey }), copy);
}

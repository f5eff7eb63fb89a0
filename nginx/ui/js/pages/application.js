// One application: its services (with their API keys) and its members.

import { admin } from "../api.js";
import { busy, confirmDialog, errorArea, field, formDialog, h, heading, replace, toast } from "../dom.js";
import { keyField, typeBadge } from "../service.js";

const SERVICE_TYPES = [["RECOGNITION", "Recognition"], ["DETECTION", "Detection"], ["VERIFICATION", "Verification"]];
const ROLES = [["OWNER", "Owner"], ["ADMINISTRATOR", "Administrator"], ["USER", "User"]];
const USER_LISTERS = ["OWNER", "ADMINISTRATOR"];

export async function render(container, { appId }, session) {
  const app = await admin("GET", `/apps/${appId}`);
  const manageServices = app.role === "OWNER" || app.role === "ADMINISTRATOR";
  const manageMembers = app.role === "OWNER";
  const services = h("section", { class: "card", id: "services" });
  const members = h("section", { class: "card", id: "members" });
  const base = `/apps/${appId}`;

  const reloadServices = async () => replace(services, h("h2", { text: "Services" }),
    manageServices ? serviceForm(base, reloadServices) : null,
    serviceTable(appId, await admin("GET", `${base}/services`), manageServices, reloadServices));
  const reloadMembers = async () => replace(members, h("h2", { text: "Members" }),
    manageMembers ? await memberForm(base, session, reloadMembers) : null,
    memberTable(base, await admin("GET", `${base}/members`), manageMembers, session, reloadMembers));

  replace(container, heading([["Applications", "#/apps"], app.name], h("span", { class: "badge", text: `your role: ${app.role}` })),
    services, members);
  await Promise.all([reloadServices(), reloadMembers()]);
}

function serviceForm(base, reload) {
  const errors = errorArea();
  const name = h("input", { name: "name", required: true, maxlength: 255, placeholder: "e.g. Staff faces" });
  const type = h("select", { name: "type" }, SERVICE_TYPES.map(([value, label]) => h("option", { value, text: label })));
  const submit = h("button", { type: "submit", class: "primary", text: "Create service" });
  const form = h("form", { class: "inline-form", id: "create-service" }, field("New service", name), field("Type", type), submit, errors.element);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const created = await busy(submit, () => admin("POST", `${base}/services`, { name: name.value.trim(), type: type.value }), errors);
    if (!created) return;
    toast(`Service ${created.name} created`);
    await reload();
  });
  return form;
}

function serviceTable(appId, services, manage, reload) {
  if (!services.length) return h("p", { class: "empty", text: "No services yet." });
  const rows = services.map((service) => {
    const path = `/apps/${appId}/services/${service.id}`;
    const link = `#${path}`;
    const act = (label, action, kind = "") => h("button", {
      type: "button", class: `small ${kind}`, text: label, onclick: (event) => busy(event.currentTarget, action),
    });
    const rename = async () => {
      const done = await formDialog({ title: "Rename service", confirm: "Rename",
        fields: [{ name: "name", label: "Name", value: service.name }],
        submit: ({ name }) => admin("PUT", path, { name: name.trim() }) });
      if (done) await reload();
    };
    const clone = async () => {
      const done = await formDialog({ title: `Clone ${service.name}`, confirm: "Clone",
        text: "The copy gets its own API key and a copy of the whole collection.",
        fields: [{ name: "name", label: "Name of the copy", value: `${service.name} (copy)` }],
        submit: ({ name }) => admin("POST", `${path}/clone`, { name: name.trim() }) });
      if (done) {
        toast("Service cloned");
        await reload();
      }
    };
    const regenerate = async () => {
      const done = await confirmDialog(`New API key for ${service.name}?`,
        "The current key stops working at once for every client that uses it.", "Generate new key",
        () => admin("POST", `${path}/key`));
      if (done) {
        toast("New API key generated");
        await reload();
      }
    };
    const remove = async () => {
      const done = await confirmDialog(`Delete ${service.name}?`, "Its API key and its whole collection are deleted. This cannot be undone.",
        "Delete", () => admin("DELETE", path));
      if (done) {
        toast(`${service.name} deleted`);
        await reload();
      }
    };
    return h("tr", { dataset: { service: service.name } },
      h("td", {}, h("a", { href: link, text: service.name })),
      h("td", {}, typeBadge(service)),
      h("td", {}, keyField(service.apiKey)),
      h("td", { class: "actions" },
        service.type === "RECOGNITION" ? h("a", { class: "button small", href: `${link}/collection`, text: "Collection" }) : null,
        h("a", { class: "button small", href: `${link}/test`, text: "Test" }),
        manage ? [act("Rename", rename), act("Clone", clone), act("New key", regenerate), act("Delete", remove, "danger")] : null));
  });
  return h("table", { class: "table" },
    h("thead", {}, h("tr", {}, ["Name", "Type", "API key", ""].map((title) => h("th", { text: title })))),
    h("tbody", {}, rows));
}

async function memberForm(base, session, reload) {
  const errors = errorArea();
  const email = h("input", { name: "email", type: "email", required: true, list: "known-users", placeholder: "someone@example.org" });
  const role = h("select", { name: "role" }, ROLES.map(([value, label]) => h("option", { value, text: label, selected: value === "USER" })));
  const submit = h("button", { type: "submit", class: "primary", text: "Add member" });
  // Only the installation's owner and administrators may list its users (to suggest addresses).
  const known = USER_LISTERS.includes(session.user.globalRole) ? await admin("GET", "/users") : [];
  const form = h("form", { class: "inline-form", id: "add-member" },
    field("Invite an existing user", email), field("Role", role), submit, errors.element,
    h("datalist", { id: "known-users" }, known.map((user) => h("option", { value: user.email }))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const added = await busy(submit, () => admin("POST", `${base}/members`, { email: email.value.trim(), role: role.value }), errors);
    if (!added) return;
    toast(`${added.email} added`);
    await reload();
  });
  return form;
}

function memberTable(base, members, manage, session, reload) {
  const rows = members.map((member) => {
    const self = member.userId === session.user.userId;
    const path = `${base}/members/${member.userId}`;
    const role = h("select", { "aria-label": `Role of ${member.email}`, disabled: !manage || self || member.role === "OWNER" },
      ROLES.map(([value, label]) => h("option", { value, text: label, selected: value === member.role })));
    role.addEventListener("change", async () => {
      const changed = await busy(role, () => admin("PUT", path, { role: role.value }));
      if (changed) toast(`${member.email} is now ${changed.role.toLowerCase()}`);
      await busy(null, reload);
    });
    const remove = async () => {
      const done = await confirmDialog(`Remove ${member.email}?`, "They lose access to this application and its services.",
        "Remove", () => admin("DELETE", path));
      if (done) await reload();
    };
    const name = [member.firstName, member.lastName].filter(Boolean).join(" ");
    return h("tr", { dataset: { member: member.email } },
      h("td", { text: member.email }), h("td", { text: name }), h("td", {}, role),
      h("td", { class: "actions" }, manage && !self && member.role !== "OWNER"
        ? h("button", { type: "button", class: "small danger", text: "Remove", onclick: (event) => busy(event.currentTarget, remove) })
        : null));
  });
  return h("table", { class: "table" },
    manage ? h("caption", { class: "muted", text: "Making another member owner hands the application over to them." }) : null,
    h("thead", {}, h("tr", {}, ["E-mail address", "Name", "Role", ""].map((title) => h("th", { text: title })))),
    h("tbody", {}, rows));
}

// One application: its services (with their API keys) and its members.

import { admin } from "../api.js";
import { busy, confirmDialog, errorArea, field, formDialog, h, heading, replace, table, toast } from "../dom.js";
import { go } from "../nav.js";
import { API_DOCS, keyField, SERVICE_TYPES, typeBadge } from "../service.js";
import { createAccount, showLink } from "./users.js";

const ROLES = [["OWNER", "Owner"], ["ADMINISTRATOR", "Administrator"], ["USER", "User"]];
const USER_LISTERS = ["OWNER", "ADMINISTRATOR"];
const NO_SUCH_USER = 16;

/** The roles as the header says them: the member role, and full rights where the global role gives them. */
export function roleText(app, globalRole) {
  const member = app.memberRole ? `your role: ${app.memberRole}` : "not a member";
  return USER_LISTERS.includes(globalRole) && app.memberRole !== "OWNER" ? `${member} · full rights as installation ${globalRole.toLowerCase()}` : member;
}

export async function render(container, { appId }, session) {
  const app = await admin("GET", `/apps/${appId}`);
  const manageServices = app.role === "OWNER" || app.role === "ADMINISTRATOR";
  const manageMembers = app.role === "OWNER";
  const services = h("section", { class: "card", id: "services" });
  const members = h("section", { class: "card", id: "members" });
  const base = `/apps/${appId}`;
  // A change of roles changes what this page offers: it is drawn again from the server's answers.
  const again = () => go(`apps/${appId}`);

  const reloadServices = async () => replace(services, h("div", { class: "panel-head" }, h("h2", { text: "Services" }),
    h("a", { href: API_DOCS, target: "_blank", rel: "noopener", text: "API documentation ↗" })),
  manageServices ? serviceForm(base, reloadServices) : null,
  serviceTable(appId, await admin("GET", `${base}/services`), manageServices, reloadServices));
  const reloadMembers = async () => replace(members, h("h2", { text: "Members" }),
    manageMembers ? await memberForm(base, session, reloadMembers) : null,
    memberTable(app, base, await admin("GET", `${base}/members`), manageMembers, session, reloadMembers, again));

  replace(container, heading([["Applications", "#/apps"], app.name], h("span", { class: "badge", id: "app-role", text: roleText(app, session.user.globalRole) })),
    services, members);
  await Promise.all([reloadServices(), reloadMembers()]);
}

function serviceForm(base, reload) {
  const errors = errorArea();
  const name = h("input", { name: "name", required: true, maxlength: 255, placeholder: "e.g. Staff faces" });
  const type = h("select", { name: "type" }, Object.entries(SERVICE_TYPES).map(([value, [label]]) => h("option", { value, text: label })));
  const explained = h("p", { class: "muted type-help", id: "service-type-help" });
  const explain = () => {
    explained.textContent = SERVICE_TYPES[type.value][1];
  };
  type.addEventListener("change", explain);
  explain();
  const submit = h("button", { type: "submit", class: "primary", text: "Create service" });
  const form = h("form", { class: "inline-form", id: "create-service" }, field("New service", name), field("Type", type), submit, explained,
    errors.element);
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
    const recognition = service.type === "RECOGNITION";
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
        text: recognition ? "The copy gets its own API key and a copy of the whole collection." : "The copy gets its own API key.",
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
      const done = await confirmDialog(`Delete ${service.name}?`,
        recognition ? "Its API key and its whole collection (every subject and face) are deleted. This cannot be undone."
          : "Its API key stops working and its statistics are deleted. This cannot be undone.",
        "Delete", () => admin("DELETE", path));
      if (done) {
        toast(`${service.name} deleted`);
        await reload();
      }
    };
    return [{ dataset: { service: service.name } },
      h("a", { href: link, text: service.name }),
      typeBadge(service),
      keyField(service.apiKey),
      h("td", { class: "actions" },
        recognition ? h("a", { class: "button small", href: `${link}/collection`, text: "Collection" }) : null,
        h("a", { class: "button small", href: `${link}/test`, text: "Test" }),
        manage ? [act("Rename", rename), act("Clone", clone), act("New key", regenerate), act("Delete", remove, "danger")] : null)];
  });
  return table(["Name", "Type", "API key", ""], rows);
}

async function memberForm(base, session, reload) {
  const errors = errorArea();
  const email = h("input", { name: "email", type: "email", required: true, list: "known-users", placeholder: "someone@example.org" });
  const role = h("select", { name: "role" }, ROLES.filter(([value]) => value !== "OWNER")
    .map(([value, label]) => h("option", { value, text: label, selected: value === "USER" })));
  const submit = h("button", { type: "submit", class: "primary", text: "Add member" });
  // Only the installation's owner and administrators may list its users (to suggest addresses) and create accounts.
  const manager = USER_LISTERS.includes(session.user.globalRole);
  const known = manager ? await admin("GET", "/users") : [];
  const form = h("form", { class: "inline-form", id: "add-member" },
    field("Add a person by e-mail address", email), field("Role", role), submit, errors.element,
    h("datalist", { id: "known-users" }, known.map((user) => h("option", { value: user.email }))));
  const add = () => admin("POST", `${base}/members`, { email: email.value.trim(), role: role.value });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let created = null;
    const added = await busy(submit, async () => {
      try {
        return await add();
      } catch (error) {
        if (error.code !== NO_SUCH_USER || !manager) throw error;
        const wanted = await confirmDialog(`${email.value.trim()} has no account yet`,
          "Create an account for them and add them to this application? You get a one-time link to send them.", "Create account");
        if (!wanted) return null;
        created = await createAccount(email.value.trim());
        return created ? add() : null;
      }
    }, errors);
    if (!added) return;
    toast(`${added.email} added`);
    await reload();
    if (created) await showLink(created, `Account for ${created.user.email} created`);
  });
  return form;
}

function memberTable(app, base, members, manage, session, reload, again) {
  const rows = members.map((member) => {
    const self = member.userId === session.user.userId;
    const path = `${base}/members/${member.userId}`;
    const role = h("select", { "aria-label": `Role of ${member.email}`, disabled: !manage || self || member.role === "OWNER" },
      ROLES.map(([value, label]) => h("option", { value, text: label, selected: value === member.role })));
    role.addEventListener("change", async () => {
      if (role.value === "OWNER") {
        const handed = await confirmDialog(`Hand ${app.name} over to ${member.email}?`,
          "They become its owner. You become an administrator of it and can no longer manage its members. Only the new owner can undo this.",
          "Make owner", () => admin("PUT", path, { role: "OWNER" }));
        if (!handed) {
          role.value = member.role;
          role.focus();
          return;
        }
        toast(`${member.email} now owns ${app.name}`);
        again();
        return;
      }
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
    return [{ dataset: { member: member.email } }, member.email, name || "—", role,
      h("td", { class: "actions" }, manage && !self && member.role !== "OWNER"
        ? h("button", { type: "button", class: "small danger", text: "Remove", onclick: (event) => busy(event.currentTarget, remove) })
        : null)];
  });
  const list = table(["E-mail address", "Name", "Role", ""], rows);
  if (manage) {
    const caption = list.createCaption();
    caption.className = "muted";
    caption.textContent = "Making another member owner hands the application over to them (you are asked first).";
  }
  return list;
}

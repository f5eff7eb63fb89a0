// The applications the signed-in user may see: create, rename, delete.

import { admin } from "../api.js";
import { busy, confirmDialog, errorArea, field, formDialog, formatDate, h, heading, replace, toast } from "../dom.js";
import { go } from "../nav.js";

const CREATORS = ["OWNER", "ADMINISTRATOR"];

function ownerName(owner) {
  if (!owner) return "—";
  const name = [owner.firstName, owner.lastName].filter(Boolean).join(" ");
  return name || owner.email;
}

export async function render(container, params, session) {
  const list = h("div");
  const reload = async () => replace(list, table(await admin("GET", "/apps"), reload));
  replace(container, heading(["Applications"]),
    CREATORS.includes(session.user.globalRole) ? createForm() : h("p", { class: "muted",
      text: "Applications are created by the installation's owner and administrators; ask one to add you to theirs." }),
    list);
  await reload();
}

function createForm() {
  const errors = errorArea();
  const name = h("input", { name: "name", required: true, maxlength: 255, placeholder: "e.g. Front door" });
  const submit = h("button", { type: "submit", class: "primary", text: "Create application" });
  const form = h("form", { class: "card inline-form", id: "create-app" }, field("New application", name), submit, errors.element);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const app = await busy(submit, () => admin("POST", "/apps", { name: name.value.trim() }), errors);
    if (app) go(`apps/${app.id}`);
  });
  return form;
}

function table(apps, reload) {
  if (!apps.length) return h("p", { class: "empty", text: "No applications yet." });
  const rows = apps.map((app) => {
    const owner = app.role === "OWNER";
    const rename = async () => {
      const done = await formDialog({
        title: "Rename application", confirm: "Rename",
        fields: [{ name: "name", label: "Name", value: app.name }],
        submit: ({ name }) => admin("PUT", `/apps/${app.id}`, { name: name.trim() }),
      });
      if (done) await reload();
    };
    const remove = async () => {
      const done = await confirmDialog(`Delete ${app.name}?`,
        "Its services, API keys and collections are deleted with it. This cannot be undone.", "Delete",
        () => admin("DELETE", `/apps/${app.id}`));
      if (done) {
        toast(`${app.name} deleted`);
        await reload();
      }
    };
    return h("tr", { dataset: { app: app.name } },
      h("td", {}, h("a", { href: `#/apps/${app.id}`, text: app.name })),
      h("td", {}, h("span", { class: "badge", text: app.role })),
      h("td", { text: ownerName(app.owner) }),
      h("td", { text: formatDate(app.createdDate) }),
      h("td", { class: "actions" },
        owner ? h("button", { type: "button", text: "Rename", onclick: (event) => busy(event.currentTarget, rename) }) : null,
        owner ? h("button", { type: "button", class: "danger", text: "Delete", onclick: (event) => busy(event.currentTarget, remove) }) : null));
  });
  return h("table", { class: "table", id: "apps" },
    h("thead", {}, h("tr", {}, ["Name", "Your role", "Owner", "Created", ""].map((title) => h("th", { text: title })))),
    h("tbody", {}, rows));
}

// The applications the signed-in user may see: create, rename, delete.

import { admin } from "../api.js";
import { busy, confirmDialog, errorArea, field, formDialog, formatDate, h, heading, replace, table, toast } from "../dom.js";
import { go } from "../nav.js";
import { roleText } from "./application.js";

// The application `likeness service create` (the CLI, and `make run`'s first API key) puts services in.
const CLI_APP = "Default";

const CREATORS = ["OWNER", "ADMINISTRATOR"];

function ownerName(owner) {
  if (!owner) return "—";
  const name = [owner.firstName, owner.lastName].filter(Boolean).join(" ");
  return name || owner.email;
}

export async function render(container, params, session) {
  const list = h("div");
  const reload = async () => replace(list, appTable(await admin("GET", "/apps"), session, reload));
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

function appTable(apps, session, reload) {
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
    return [{ dataset: { app: app.name } },
      h("span", {}, h("a", { href: `#/apps/${app.id}`, text: app.name }),
        app.name === CLI_APP && !app.owner ? h("small", { class: "muted block",
          text: "Made by the likeness command (make run's first API key); use, rename or delete it like any other." }) : null),
      h("span", { class: "badge", text: roleText(app, session.user.globalRole) }),
      ownerName(app.owner),
      formatDate(app.createdDate),
      h("td", { class: "actions" },
        owner ? h("button", { type: "button", text: "Rename", onclick: (event) => busy(event.currentTarget, rename) }) : null,
        owner ? h("button", { type: "button", class: "danger", text: "Delete", onclick: (event) => busy(event.currentTarget, remove) }) : null)];
  });
  return table(["Name", "Your role", "Owner", "Created", ""], rows, { id: "apps" });
}

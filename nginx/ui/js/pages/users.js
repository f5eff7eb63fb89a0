// The installation's users, for its owner and administrators: accounts made for someone (with a
// one-time set-password link, shown once: there is no mail server), disabled accounts, new
// links for forgotten passwords, and whether strangers may sign up.

import { admin } from "../api.js";
import { busy, confirmDialog, copyText, formatDate, formDialog, h, heading, replace, showDialog, table, toast } from "../dom.js";

const ROLES = [["USER", "User"], ["ADMINISTRATOR", "Administrator"]];

/** The one-time link of an answer ({user, setPasswordLink}) in a dialog, with a copy button. */
export async function showLink({ user, setPasswordLink }, what) {
  const url = new URL(setPasswordLink.path, location.origin).href;
  const copy = h("button", { type: "button", class: "small", text: "Copy link", onclick: (event) => busy(event.currentTarget, async () => {
    await copyText(url);
    toast("Link copied");
  }) });
  await showDialog(what,
    h("p", {}, "Send this link to ", h("strong", { text: user.email }), ". It lets them choose a password once, until ",
      new Date(setPasswordLink.expiresAt).toLocaleString(), ". It is shown only now."),
    h("div", { class: "key" }, h("code", { class: "link-text", id: "password-link", text: url }), copy));
}

/** Create an account for `email` (asking for names and role); the answer ({user, setPasswordLink}) or null. */
export async function createAccount(email = "") {
  let created = null;
  const role = h("select", { name: "globalRole", id: "dialog-globalRole" }, ROLES.map(([value, label]) => h("option", { value, text: label })));
  const done = await formDialog({
    title: "Create an account", confirm: "Create account",
    text: "They get a one-time link to choose their password.",
    fields: [{ name: "email", label: "E-mail address", value: email, type: "email" },
      { name: "firstName", label: "First name", required: false }, { name: "lastName", label: "Last name", required: false }],
    body: h("label", { for: "dialog-globalRole" }, "Role on this installation", role),
    submit: async ({ email: address, firstName, lastName }) => {
      created = await admin("POST", "/users", { email: address.trim(), firstName, lastName, globalRole: role.value });
    },
  });
  return done ? created : null;
}

export async function render(container, params, session) {
  const rows = h("div");
  const count = h("span", { class: "muted" });
  const settings = h("section", { class: "card stack", id: "sign-up-setting" });
  const reload = async () => {
    const [users, installation] = await Promise.all([admin("GET", "/users"), admin("GET", "/installation")]);
    count.textContent = `(${users.length})`;
    replace(rows, usersTable(users, session, reload));
    replace(settings, signUpSetting(installation, session, reload));
  };
  const create = h("button", { type: "button", class: "primary", id: "create-user", text: "Create an account",
    onclick: () => busy(create, async () => {
      const created = await createAccount();
      if (!created) return;
      await reload();
      await showLink(created, `Account for ${created.user.email} created`);
    }) });
  replace(container, heading(["Users"]), settings,
    h("section", { class: "card", id: "users" }, h("div", { class: "panel-head" }, h("h2", {}, "Users ", count), create), rows));
  await reload();
}

function signUpSetting(installation, session, reload) {
  const owner = session.user.globalRole === "OWNER";
  const box = h("input", { type: "checkbox", id: "sign-up-open", checked: installation.signUpOpen, disabled: !owner });
  box.addEventListener("change", () => busy(box, async () => {
    try {
      await admin("PUT", "/installation", { signUpOpen: box.checked });
      toast(box.checked ? "Anyone may now sign up" : "Sign-up closed: only accounts you create can sign in");
    } finally {
      await reload();
    }
  }));
  return [h("h2", { text: "Sign-up" }),
    h("label", { class: "check", for: "sign-up-open" }, box, "Anyone who reaches this installation may create an account"),
    h("p", { class: "muted", text: owner
      ? "When this is off, only the people you create an account for can sign in. A new account sees no application until someone adds it as a member."
      : "Only the owner changes this." })];
}

function usersTable(users, session, reload) {
  const rows = users.map((user) => {
    const self = user.userId === session.user.userId;
    const manageable = !self && (user.globalRole !== "OWNER" || session.user.globalRole === "OWNER");
    const act = (label, action, kind = "") => h("button", { type: "button", class: `small ${kind}`, text: label,
      onclick: (event) => busy(event.currentTarget, action) });
    const link = async () => {
      const answer = await admin("POST", `/users/${user.userId}/password-link`);
      await showLink(answer, `New password link for ${user.email}`);
    };
    const toggle = async () => {
      if (user.enabled) {
        const done = await confirmDialog(`Disable ${user.email}?`,
          "They are signed out at once and cannot sign in until the account is enabled again. Their applications stay.",
          "Disable", () => admin("PUT", `/users/${user.userId}/enabled`, { enabled: false }));
        if (!done) return;
        toast(`${user.email} disabled`);
      } else {
        await admin("PUT", `/users/${user.userId}/enabled`, { enabled: true });
        toast(`${user.email} enabled`);
      }
      await reload();
    };
    const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
    return [{ dataset: { user: user.email }, class: user.enabled ? "" : "disabled" },
      h("span", {}, user.email, self ? h("span", { class: "muted", text: " (you)" }) : null),
      name || "—",
      h("span", { class: "badge", text: user.globalRole }),
      h("span", { class: `badge state ${user.enabled ? "ok" : "bad"}`, text: user.enabled ? "active" : "disabled" }),
      formatDate(user.createdDate),
      h("td", { class: "actions" }, manageable
        ? [act("New password link", link), act(user.enabled ? "Disable" : "Enable", toggle, user.enabled ? "danger" : "")] : null)];
  });
  return table(["E-mail address", "Name", "Role", "State", "Created", ""], rows, { id: "users-table" });
}

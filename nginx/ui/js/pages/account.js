// The signed-in user's account: name, password, sessions.

import { admin } from "../api.js";
import { busy, errorArea, field, h, heading, repeatDiffers, replace, toast } from "../dom.js";
import { go } from "../nav.js";

function nameForm(session) {
  const errors = errorArea();
  const first = h("input", { name: "firstName", value: session.user.firstName, autocomplete: "given-name", maxlength: 63 });
  const last = h("input", { name: "lastName", value: session.user.lastName, autocomplete: "family-name", maxlength: 63 });
  const submit = h("button", { type: "submit", text: "Save name" });
  const form = h("form", { class: "card stack", id: "name-form" }, h("h2", { text: "Name" }),
    h("div", { class: "row" }, field("First name", first), field("Last name", last)), errors.element, h("div", {}, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = await busy(submit, () => admin("PUT", "/me", { firstName: first.value, lastName: last.value }), errors);
    if (!user) return;
    session.setUser(user);
    toast("Name saved");
  });
  return form;
}

function passwordForm() {
  const errors = errorArea();
  const input = (name, autocomplete) => h("input", { name, type: "password", required: true, autocomplete });
  const old = input("oldPassword", "current-password");
  const fresh = input("newPassword", "new-password");
  const repeat = input("repeatPassword", "new-password");
  fresh.minLength = 8;
  const submit = h("button", { type: "submit", class: "primary", text: "Change password" });
  const form = h("form", { class: "card stack", id: "password-form" }, h("h2", { text: "Password" }),
    field("Current password", old), field("New password", fresh, "At least 8 characters; your other sessions are signed out"),
    field("New password again", repeat), errors.element, h("div", {}, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (repeatDiffers(fresh, repeat, errors, "The two new passwords differ")) return;
    const done = await busy(submit, () => admin("PUT", "/me/password", { oldPassword: old.value, newPassword: fresh.value })
      .then(() => true), errors);
    if (!done) return;
    form.reset();
    toast("Password changed");
  });
  return form;
}

function sessionsCard(session) {
  const button = h("button", { type: "button", class: "danger", text: "Sign out everywhere", id: "sign-out-everywhere" });
  button.addEventListener("click", async () => {
    const answer = await busy(button, () => admin("DELETE", "/me/sessions"));
    if (!answer) return;
    session.setUser(null);
    toast(`Signed out of ${answer.revoked} session${answer.revoked === 1 ? "" : "s"}`);
    go("sign-in");
  });
  return h("section", { class: "card stack" }, h("h2", { text: "Sessions" }),
    h("p", { class: "muted", text: "Signs out every browser where you are signed in, this one included." }), h("div", {}, button));
}

export async function render(container, params, session) {
  const user = await admin("GET", "/me");
  session.setUser(user);
  replace(container, heading(["Account"]),
    h("p", {}, h("strong", { text: user.email }), " ", h("span", { class: "badge", text: user.globalRole })),
    h("div", { class: "grid-2" }, nameForm(session), passwordForm()), sessionsCard(session));
}

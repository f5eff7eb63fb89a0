// Sign-in: e-mail address and password.

import { admin } from "../api.js";
import { busy, errorArea, field, h, replace } from "../dom.js";
import { go, returnPath } from "../nav.js";

export async function render(container, params, session) {
  document.title = "Sign in · Likeness";
  const { signUpOpen } = await admin("GET", "/installation");
  const errors = errorArea();
  const email = h("input", { name: "email", type: "email", required: true, autocomplete: "username" });
  const password = h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" });
  const submit = h("button", { type: "submit", class: "primary", text: "Sign in" });
  const form = h("form", { class: "card narrow stack", id: "sign-in-form" },
    h("h1", { text: "Sign in" }),
    field("E-mail address", email),
    field("Password", password),
    errors.element,
    submit,
    signUpOpen ? h("p", { class: "muted" }, "No account yet? ", h("a", { href: "#/sign-up", text: "Sign up" }))
      : h("p", { class: "muted", id: "sign-up-closed", text: "No account yet? Ask the owner of this installation to create one for you." }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = await busy(submit, () => admin("POST", "/sign-in", { email: email.value, password: password.value }), errors);
    if (!user) {
      password.select();
      return;
    }
    session.setUser(user);
    go(returnPath());
  });
  replace(container, form);
  email.focus();
}

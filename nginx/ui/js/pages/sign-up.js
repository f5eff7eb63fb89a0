// Sign-up: a new account (the installation's first becomes its owner), then signed in.

import { admin } from "../api.js";
import { busy, errorArea, field, h, repeatDiffers, replace } from "../dom.js";
import { go } from "../nav.js";

export async function render(container, params, session) {
  document.title = "Sign up · Likeness";
  const errors = errorArea();
  const input = (name, type, autocomplete, required = true) => h("input", { name, type, autocomplete, required });
  const email = input("email", "email", "username");
  const firstName = input("firstName", "text", "given-name", false);
  const lastName = input("lastName", "text", "family-name", false);
  const password = input("password", "password", "new-password");
  const repeat = input("repeat", "password", "new-password");
  password.minLength = 8;
  const submit = h("button", { type: "submit", class: "primary", text: "Create account" });
  const form = h("form", { class: "card narrow stack", id: "sign-up-form" },
    h("h1", { text: "Sign up" }),
    h("p", { class: "muted", text: "The first account of an installation becomes its owner." }),
    field("E-mail address", email),
    h("div", { class: "row" }, field("First name", firstName), field("Last name", lastName)),
    field("Password", password, "At least 8 characters"),
    field("Password again", repeat),
    errors.element,
    submit,
    h("p", { class: "muted" }, "Have an account? ", h("a", { href: "#/sign-in", text: "Sign in" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (repeatDiffers(password, repeat, errors)) return;
    const user = await busy(submit, async () => {
      await admin("POST", "/sign-up", {
        email: email.value, password: password.value, firstName: firstName.value, lastName: lastName.value,
      });
      return admin("POST", "/sign-in", { email: email.value, password: password.value });
    }, errors);
    if (!user) return;
    session.setUser(user);
    go("apps");
  });
  replace(container, form);
  email.focus();
}

// Following a one-time set-password link (a new account, or a reset by the owner): choose a
// password, then signed in with it.

import { admin } from "../api.js";
import { busy, errorArea, field, h, repeatDiffers, replace } from "../dom.js";
import { go } from "../nav.js";

export async function render(container, { token }, session) {
  document.title = "Choose your password · Likeness";
  const errors = errorArea();
  const password = h("input", { name: "password", type: "password", required: true, autocomplete: "new-password", minlength: 8 });
  const repeat = h("input", { name: "repeat", type: "password", required: true, autocomplete: "new-password" });
  const submit = h("button", { type: "submit", class: "primary", text: "Set password and sign in" });
  const form = h("form", { class: "card narrow stack", id: "set-password-form" },
    h("h1", { text: "Choose your password" }),
    h("p", { class: "muted", text: "This link works once. After this you sign in with your e-mail address and this password." }),
    field("New password", password, "At least 8 characters"), field("New password again", repeat), errors.element, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (repeatDiffers(password, repeat, errors)) return;
    const user = await busy(submit, async () => {
      const { email } = await admin("POST", "/set-password", { token, password: password.value });
      return admin("POST", "/sign-in", { email, password: password.value });
    }, errors);
    if (!user) return;
    session.setUser(user);
    go("apps");
  });
  replace(container, form);
  password.focus();
}

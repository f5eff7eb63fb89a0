// Small DOM helpers: element building (text only, never HTML strings), messages and dialogs.

/**
 * Build an element. `attrs`: `class`, `text`, `on<event>` handlers, `dataset`, boolean or string
 * attributes (false/null/undefined leave them out). Children: nodes, strings, arrays, null.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "value" || name === "checked" || name === "selected") element[name] = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace every child of `parent` with `children`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
  return parent;
}

const MAX_TOASTS = 3;

/** A short message in the corner that goes away by itself (the newest few are shown). */
export function toast(message, kind = "ok") {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status", text: message });
  box.append(item);
  while (box.children.length > MAX_TOASTS) box.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 3000);
}

/** An inline error area: `show(error)` writes the error's message, `clear()` hides it. */
export function errorArea() {
  const element = h("div", { class: "error-box", role: "alert", hidden: true });
  return {
    element,
    show(error) {
      element.textContent = error?.message || String(error);
      element.hidden = false;
    },
    clear() {
      element.textContent = "";
      element.hidden = true;
    },
  };
}

/**
 * Run `action` while `button` is disabled; errors go to `errors.show` (an error area) or a toast.
 * Returns the action's result, or undefined when it failed.
 */
export async function busy(button, action, errors = null) {
  errors?.clear();
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (error) {
    if (errors) errors.show(error);
    else toast(error.message || String(error), "error");
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/**
 * A modal dialog with a form. `fields`: text inputs, [{name, label, value}].
 * Resolves to the values ({name: value}) when confirmed, null when cancelled. `submit(values)`
 * may throw: its message is shown in the dialog, which stays open.
 */
export function formDialog({ title, text = null, fields = [], confirm = "OK", danger = false, submit = null }) {
  return new Promise((resolve) => {
    const errors = errorArea();
    const inputs = {};
    const rows = fields.map((spec) => {
      const id = `dialog-${spec.name}`;
      const input = h("input", { id, name: spec.name, value: spec.value ?? "", required: true, autocomplete: "off" });
      inputs[spec.name] = input;
      return h("label", { for: id }, spec.label, input);
    });
    const ok = h("button", { type: "submit", class: danger ? "danger" : "primary", text: confirm });
    const cancel = h("button", { type: "button", text: "Cancel" });
    const form = h("form", { method: "dialog", class: "stack" },
      h("h2", { text: title }), text ? h("p", { text }) : null, rows, errors.element,
      h("div", { class: "actions" }, cancel, ok));
    const dialog = h("dialog", { class: "modal" }, form);
    let answer = null;
    const close = () => dialog.close();
    cancel.addEventListener("click", close);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value]));
      if (submit && (await busy(ok, () => submit(values).then(() => true), errors)) !== true) return;
      answer = values;
      close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    (Object.values(inputs)[0] || ok).focus();
  });
}

/** Ask before doing something that cannot be undone; resolves to true when confirmed. */
export async function confirmDialog(title, text, confirm = "Delete", submit = null) {
  return (await formDialog({ title, text, confirm, danger: true, submit })) !== null;
}

/** Copy `text` to the clipboard (a textarea fallback where the Clipboard API is not allowed). */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h("textarea", { class: "offscreen", readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

/** A labelled form field. */
export function field(label, input, hint = null) {
  if (!input.id) input.id = `field-${input.name || Math.random().toString(36).slice(2)}`;
  return h("label", { for: input.id }, label, input, hint ? h("small", { class: "muted", text: hint }) : null);
}

/** A date-time from the API as the reader's local date. */
export function formatDate(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** A page heading with a breadcrumb trail: [[label, href], ..., current label]. */
export function heading(trail, ...extra) {
  const current = trail[trail.length - 1];
  const links = trail.slice(0, -1).flatMap(([label, href]) => [h("a", { href, text: label }), h("span", { text: " / " })]);
  return h("div", { class: "page-head" },
    links.length ? h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, links) : null,
    h("h1", { text: current }), extra);
}

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
// Where messages may sit, tried in this order: the first corner where they cover no control wins.
const TOAST_PLACES = ["bottom-right", "bottom-left", "top-right", "top-left"];
const CONTROLS = "button, a[href], input, select, textarea, summary, [tabindex]:not([tabindex='-1'])";

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/** Move the messages to a corner of the window where they cover no button, link or field. */
function placeToasts() {
  const box = document.getElementById("toasts");
  if (!box.children.length) return;
  const controls = [...document.querySelectorAll(CONTROLS)]
    .filter((element) => !box.contains(element) && element.getClientRects().length)
    .map((element) => element.getBoundingClientRect());
  for (const place of TOAST_PLACES) {
    box.dataset.place = place;
    const covered = [...box.children].some((item) => {
      const area = item.getBoundingClientRect();
      return controls.some((control) => overlaps(area, control));
    });
    if (!covered) return;
  }
  box.dataset.place = TOAST_PLACES[0];
}

addEventListener("scroll", () => requestAnimationFrame(placeToasts), { passive: true });
addEventListener("resize", () => requestAnimationFrame(placeToasts));

/** A short message in a corner that goes away by itself (the newest few are shown), never over a control. */
export function toast(message, kind = "ok") {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status", text: message });
  box.append(item);
  while (box.children.length > MAX_TOASTS) box.firstElementChild.remove();
  placeToasts();
  // The page usually changes right after an action's message: place it again once it has.
  setTimeout(placeToasts, 300);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 3000);
}

/** Whether a password and its repetition differ; if so the error area says so. */
export function repeatDiffers(password, repeat, errors, message = "The two passwords differ") {
  if (password.value === repeat.value) return false;
  errors.show(new Error(message));
  return true;
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
    if (button) {
      button.disabled = false;
      // A dialog it opened has closed meanwhile: the keyboard goes back to this button.
      if (button.isConnected && (document.activeElement === document.body || !document.activeElement)) button.focus();
    }
  }
}

/**
 * A modal dialog with a form. `fields`: text inputs, [{name, label, value}].
 * Resolves to the values ({name: value}) when confirmed, null when cancelled. `submit(values)`
 * may throw: its message is shown in the dialog, which stays open.
 */
export function formDialog({ title, text = null, fields = [], confirm = "OK", danger = false, submit = null, body = null }) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const errors = errorArea();
    const inputs = {};
    const rows = fields.map((spec) => {
      const id = `dialog-${spec.name}`;
      const input = h("input", { id, name: spec.name, value: spec.value ?? "", required: spec.required ?? true, autocomplete: "off",
        type: spec.type || "text", list: spec.list || null });
      inputs[spec.name] = input;
      return h("label", { for: id }, spec.label, input);
    });
    const ok = h("button", { type: "submit", class: danger ? "danger" : "primary", text: confirm });
    const cancel = h("button", { type: "button", text: "Cancel" });
    const form = h("form", { method: "dialog", class: "stack" },
      h("h2", { text: title }), text ? h("p", { text }) : null, body, rows, errors.element,
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
      giveFocusBack(opener);
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    (Object.values(inputs)[0] || ok).focus();
  });
}

/** Focus the element that opened a dialog, or its namesake when the page was redrawn meanwhile. */
function giveFocusBack(opener) {
  if (!(opener instanceof HTMLElement) || opener === document.body) return;
  const target = opener.isConnected ? opener : (opener.id ? document.getElementById(opener.id) : null);
  target?.focus();
}

/** Show something (a one-time link, a large photo) in a dialog with a close button; resolves when closed. */
export function showDialog(title, ...content) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const close = h("button", { type: "button", class: "primary", text: "Close" });
    const dialog = h("dialog", { class: "modal wide" }, h("div", { class: "stack" }, h("h2", { text: title }), content,
      h("div", { class: "actions" }, close)));
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      giveFocusBack(opener);
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
    close.focus();
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

/**
 * A page heading with a breadcrumb trail: [[label, href], ..., current label]. The window's title
 * names the page and what it belongs to ("Test — Staff · Front door · Likeness").
 */
export function heading(trail, ...extra) {
  const current = trail[trail.length - 1];
  const owners = trail.slice(1, -1).map(([label]) => label).filter((label) => !current.includes(label)).reverse();
  document.title = [current, ...owners, "Likeness"].join(" · ");
  const links = trail.slice(0, -1).flatMap(([label, href]) => [h("a", { href, text: label }), h("span", { text: " / " })]);
  return h("div", { class: "page-head" },
    links.length ? h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, links) : null,
    h("h1", { text: current }), extra);
}

/**
 * A table: `titles` head the columns; each row is [attrs, ...cells] (a cell: a node, text, or a
 * <td>). On a phone the rows become cards, each cell headed by its column's title.
 */
export function table(titles, rows, attrs = {}) {
  const body = rows.map(([rowAttrs, ...cells]) => h("tr", rowAttrs, cells.map((cell, index) => {
    const td = cell instanceof HTMLTableCellElement ? cell : h("td", {}, cell);
    if (titles[index]) td.dataset.label = titles[index];
    return td;
  })));
  return h("table", { class: "table", ...attrs },
    h("thead", {}, h("tr", {}, titles.map((title) => h("th", { text: title })))),
    h("tbody", {}, body));
}

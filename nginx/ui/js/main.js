// The single-page app: hash routes, who is signed in, the top bar.

import { admin } from "./api.js";
import { h, replace, toast } from "./dom.js";
import { currentPath, go, rememberReturn } from "./nav.js";
import * as account from "./pages/account.js";
import * as application from "./pages/application.js";
import * as applications from "./pages/applications.js";
import * as collection from "./pages/collection.js";
import * as dashboard from "./pages/dashboard.js";
import * as signIn from "./pages/sign-in.js";
import * as setPassword from "./pages/set-password.js";
import * as signUp from "./pages/sign-up.js";
import * as status from "./pages/status.js";
import * as tester from "./pages/test.js";
import * as users from "./pages/users.js";

const ID = "([0-9a-f-]{36})";
const SERVICE = `apps/${ID}/services/${ID}`;

// [pattern, page, names of the captured parts, needs a session]
const ROUTES = [
  ["sign-in", signIn, [], false],
  ["sign-up", signUp, [], false],
  ["set-password/([A-Za-z0-9_-]+)", setPassword, ["token"], false],
  ["apps", applications, [], true],
  [`apps/${ID}`, application, ["appId"], true],
  [SERVICE, dashboard, ["appId", "serviceId"], true],
  [`${SERVICE}/collection`, collection, ["appId", "serviceId"], true],
  [`${SERVICE}/test`, tester, ["appId", "serviceId"], true],
  ["status", status, [], true],
  ["account", account, [], true],
  ["users", users, [], true],
].map(([pattern, page, names, private_]) => ({ regex: new RegExp(`^${pattern}$`), page, names, private: private_ }));

const view = document.getElementById("view");
const USER_MANAGERS = ["OWNER", "ADMINISTRATOR"];
const session = {
  user: null,
  /** Signed in (a user) or out (null): the top bar follows. */
  setUser(user) {
    this.user = user;
    document.getElementById("nav").hidden = !user;
    const account = document.getElementById("nav-user");
    account.textContent = user ? user.email : "Account";
    account.title = user ? `Your account (${user.globalRole.toLowerCase()})` : "";
    document.getElementById("nav-users").hidden = !user || !USER_MANAGERS.includes(user.globalRole);
  },
};
let leave = null; // the current page's clean-up
let rendering = 0;

async function render() {
  const token = ++rendering;
  if (leave) {
    leave();
    leave = null;
  }
  const path = currentPath();
  const route = ROUTES.find((candidate) => candidate.regex.test(path));
  if (!route) {
    go(session.user ? "apps" : "sign-in");
    return;
  }
  if (route.private && !session.user) {
    rememberReturn(path);
    go("sign-in");
    return;
  }
  if (!route.private && session.user && route.page !== setPassword) {
    go("apps");
    return;
  }
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("active", path.startsWith(link.dataset.nav));
  }
  const params = Object.fromEntries(route.names.map((name, index) => [name, path.match(route.regex)[index + 1]]));
  const container = h("div", { class: "page" });
  replace(view, container);
  try {
    const cleanUp = await route.page.render(container, params, session);
    if (token === rendering) leave = cleanUp || null;
    else if (cleanUp) cleanUp();
  } catch (error) {
    if (token !== rendering) return;
    replace(container, h("div", { class: "error-box", role: "alert", text: error.message || String(error) }),
      h("p", {}, h("a", { href: "#/apps", text: "Back to the applications" })));
  }
}

async function signOut() {
  try {
    await admin("POST", "/sign-out");
  } catch (error) {
    toast(error.message, "error");
  }
  session.setUser(null);
  go("sign-in");
}

async function start() {
  document.getElementById("sign-out").addEventListener("click", signOut);
  // The routes live in the fragment, so the skip link moves the focus instead of following "#view".
  document.getElementById("skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    view.focus();
  });
  window.addEventListener("hashchange", render);
  window.addEventListener("likeness:signed-out", () => {
    if (!session.user) return;
    session.setUser(null);
    toast("Your session has ended; please sign in again", "error");
    rememberReturn(currentPath());
    go("sign-in");
  });
  try {
    session.setUser((await admin("GET", "/session")).user);
  } catch (error) {
    replace(view, h("div", { class: "error-box", role: "alert", text: error.message }));
    return;
  }
  render();
}

start();

// Navigation between the hash routes ("#/apps/…").

const RETURN_KEY = "likeness:after-sign-in";

/** The route now shown, without "#/" and a trailing slash. */
export function currentPath() {
  return decodeURIComponent(location.hash.replace(/^#\/?/, "")).replace(/\/$/, "");
}

/** Show `path` (a route without the leading "#/"); the same route is shown again. */
export function go(path) {
  if (currentPath() === path) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = `#/${path}`;
}

/** Remember where to come back to once signed in. */
export function rememberReturn(path) {
  sessionStorage.setItem(RETURN_KEY, path);
}

/** Where to go once signed in: the remembered page, else the applications. */
export function returnPath() {
  const path = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  return path && !path.startsWith("sign-") ? path : "apps";
}

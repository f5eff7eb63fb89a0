// Calls to the admin API (session cookie + CSRF double submit) and to the public API (x-api-key).
// Both answer errors as {"message", "code"}; they become ApiError with that message.

const CSRF_COOKIE = "csrf_token";
const CSRF_HEADER = "X-CSRF-Token";
const SIGN_IN_REQUIRED = 50;

/** An error answer of either API. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function cookie(name) {
  const prefix = `${name}=`;
  const found = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return found ? decodeURIComponent(found.slice(prefix.length)) : null;
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's page): the status says enough
  }
  const message = body?.message || `The server answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, body?.code ?? null, message);
}

async function send(url, options) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", ...options });
  } catch {
    throw new ApiError(0, null, "The server cannot be reached; check your connection and try again");
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function json(response) {
  return response.status === 204 ? null : response.json();
}

// ---------------------------------------------------------------------------------------------
// Admin API

async function csrfToken() {
  let token = cookie(CSRF_COOKIE);
  if (!token) {
    await admin("GET", "/csrf");
    token = cookie(CSRF_COOKIE);
  }
  return token;
}

/** One admin call: `admin("POST", "/apps", {name})`; the parsed JSON answer (null for 204). */
export async function admin(method, path, body = undefined) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers[CSRF_HEADER] = await csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const response = await send(`/admin${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return await json(response);
  } catch (error) {
    if (error.code === SIGN_IN_REQUIRED) window.dispatchEvent(new CustomEvent("likeness:signed-out"));
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

/** The public API as one service (its API key) sees it. */
export class ServiceApi {
  constructor(apiKey) {
    this.apiKey = apiKey;
  }

  url(path, params = {}) {
    const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== "" && value !== null && value !== undefined));
    const text = query.toString();
    return `/api/v1${path}${text ? `?${text}` : ""}`;
  }

  async request(method, path, { params = {}, body = undefined, form = undefined } = {}) {
    const headers = { "x-api-key": this.apiKey };
    let payload;
    if (form) {
      payload = new FormData();
      for (const [name, file] of Object.entries(form)) payload.append(name, file, file.name || name);
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await send(this.url(path, params), { method, headers, body: payload });
    return json(response);
  }

  /** A stored face's image as a Blob (the image call needs the x-api-key header, so no plain <img src>). */
  async faceImage(imageId) {
    const response = await send(this.url(`/recognition/faces/${encodeURIComponent(imageId)}/img`),
      { headers: { "x-api-key": this.apiKey } });
    return response.blob();
  }
}

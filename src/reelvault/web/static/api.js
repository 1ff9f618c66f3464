// Calls to this origin's API. State-changing calls carry the session's CSRF token.

// Sent on document when the server answers 401: this browser has no credential (a server
// with API keys), and the key panel (credential.js) offers to take one.
export const UNAUTHORIZED_EVENT = "reelvault:unauthorized";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

export async function request(method, path, { json, form, raw = false } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  // Over TLS the cookie carries the __Host- prefix (it cannot be planted by a subdomain).
  if (!["GET", "HEAD"].includes(method)) {
    headers["X-CSRF-Token"] = cookie("__Host-rv_csrf") || cookie("rv_csrf");
  }
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  if (!response.ok) {
    if (response.status === 401) document.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    let code = "http_error";
    let message = `${response.status} ${response.statusText}`;
    let data = null;
    try {
      data = await response.json();
      if (data && data.error) {
        code = data.error.code || code;
        message = data.error.message || message;
      }
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, code, message, data);
  }
  if (raw) return response;
  if (response.status === 204 || method === "HEAD") return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const get = (path) => request("GET", path);

// Whether an endpoint exists, without calling it: an unknown path answers 404, a known
// path asked with the wrong method 405.
export async function exists(path, method = "HEAD") {
  try {
    const response = await fetch(path, { method, credentials: "same-origin" });
    return response.status !== 404;
  } catch {
    return false;
  }
}

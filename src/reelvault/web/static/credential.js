// The key panel: on a server with API keys, a browser without a session pastes a key
// once. It goes to the server in one request, which answers with a session cookie acting
// as the key's owner; the key itself is not kept by this page (not stored, not in a cookie).

import { UNAUTHORIZED_EVENT } from "./api.js";

const SESSION_PATH = "/api/v1/studio/session";

async function exchange(key) {
  const response = await fetch(SESSION_PATH, {
    method: "POST",
    headers: { Accept: "application/json", Authorization: `Bearer ${key}` },
    credentials: "same-origin",
  });
  if (response.ok) return null;
  try {
    const data = await response.json();
    if (data && data.error && data.error.message) return data.error.message;
  } catch {
    // not JSON: fall through to the status line
  }
  return `${response.status} ${response.statusText}`;
}

export function wireKeyPanel() {
  const panel = document.getElementById("key-panel");
  if (!panel) return;
  const form = document.getElementById("key-form");
  const input = document.getElementById("api-key");
  const error = document.getElementById("key-error");
  const submit = document.getElementById("key-submit");

  document.addEventListener(UNAUTHORIZED_EVENT, () => {
    if (!panel.hidden) return;
    panel.hidden = false;
    document.body.dataset.needsKey = "true";
    input.focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const key = input.value.trim();
    if (!key.startsWith("rv-")) {
      error.textContent = "An API key starts with rv-. Ask the operator of this server for one.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    submit.disabled = true;
    try {
      const problem = await exchange(key);
      if (problem === null) {
        input.value = "";
        window.location.reload();
        return;
      }
      error.textContent = `Not accepted: ${problem}`;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } catch (err) {
      error.textContent = `Could not reach the server: ${err.message}`;
    } finally {
      submit.disabled = false;
    }
  });
  input.addEventListener("input", () => input.removeAttribute("aria-invalid"));
}

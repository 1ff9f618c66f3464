// What the account pages share: the accounts switch, the header, form errors and busy
// buttons. Errors go to each form's role="alert" line, so screen readers hear them.

import { ApiError } from "./api.js";
import { loadConfig, showAccountLink, showPolicyBadge } from "./common.js";

export const $ = (id) => document.getElementById(id);

// The deployment's config with the header filled in, or null when the page cannot go on:
// where accounts are off, the notice shows and every part that needs them stays hidden.
export async function startAccountPage(errorId) {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    $(errorId).textContent = `Could not load this page: ${error.message}`;
    return null;
  }
  showPolicyBadge(config);
  showAccountLink(config);
  if (!config.accounts.enabled) {
    for (const part of document.querySelectorAll("[data-needs-accounts]")) part.hidden = true;
    $("accounts-off").hidden = false;
    return null;
  }
  return config;
}

export function ready() {
  document.body.dataset.ready = "true";
}

export function messageOf(error) {
  return error instanceof ApiError ? error.message : `Could not reach the server: ${error.message}`;
}

// The server's words in the alert line; the field the error names (`param`) is marked
// invalid and focused, so the person lands where the fix is.
export function showError(errorId, error, fields = {}) {
  $(errorId).textContent = messageOf(error);
  const detail = error instanceof ApiError && error.body && error.body.error;
  const field = detail && detail.param && fields[detail.param] ? $(fields[detail.param]) : null;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

export function clearError(form, errorId) {
  $(errorId).textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

// Runs `action` with the button disabled, so a double click sends one request.
export async function busy(button, action) {
  button.disabled = true;
  try {
    return await action();
  } finally {
    button.disabled = false;
  }
}

// A check the browser can make before asking the server: marks the field and says why.
export function refuse(errorId, fieldId, message) {
  $(errorId).textContent = message;
  const field = $(fieldId);
  field.setAttribute("aria-invalid", "true");
  field.focus();
  return false;
}

// The token of an e-mailed link, taken out of the address bar (and so out of the history).
export function takeToken() {
  const params = new URLSearchParams(window.location.search);
  const token = params.get("token");
  if (token) window.history.replaceState(null, "", window.location.pathname);
  return token;
}

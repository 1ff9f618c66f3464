// The privacy centre: consents, export, erase, notify-me, and the browser's own prefs.
// Each part appears only where this deployment has the endpoint behind it.

import { ApiError, exists, request } from "./api.js";
import { consentBanner, loadConfig, loadConsents, setConsent, showAccountLink, showPolicyBadge } from "./common.js";
import { wireKeyPanel } from "./credential.js";
import * as prefs from "./prefs.js";

const $ = (id) => document.getElementById(id);

const NAMES = {
  analytics: "Anonymous usage statistics",
  marketing: "News by e-mail (notify me)",
  optional_cookies: "Optional cookies",
};

function purposeName(purpose) {
  if (purpose.startsWith("provider:")) return `Send my prompt, negative prompt and uploads to ${purpose.slice(9)} (third-party AI provider)`;
  return NAMES[purpose] || purpose;
}

function renderConsents(purposes) {
  const list = $("consents");
  list.replaceChildren();
  purposes.forEach((item, index) => {
    const id = `consent-${index}`;
    const row = document.createElement("li");
    row.className = "toggle";
    const text = document.createElement("div");
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = purposeName(item.purpose);
    const hint = document.createElement("p");
    hint.className = "hint";
    hint.id = `${id}-hint`;
    const basis = item.legal_basis ? ` Legal basis: ${item.legal_basis.replace(/_/g, " ")}.` : "";
    const mode = item.opt_in ? " Off until you switch it on." : " On unless you switch it off.";
    hint.textContent = `${item.description || ""}${mode}${basis}`.trim();
    text.append(label, hint);
    const input = document.createElement("input");
    input.type = "checkbox";
    input.setAttribute("role", "switch");
    input.id = id;
    input.className = "switch";
    input.checked = Boolean(item.granted);
    input.dataset.purpose = item.purpose;
    input.setAttribute("aria-describedby", hint.id);
    input.addEventListener("change", async () => {
      input.disabled = true;
      $("consents-error").textContent = "";
      try {
        await setConsent(item.purpose, input.checked);
        item.granted = input.checked;
      } catch (error) {
        input.checked = !input.checked;
        $("consents-error").textContent = `Not saved: ${error.message}`;
        // An answer of "younger" erased what was held: show the consents as they are now.
        if (error instanceof ApiError && error.code === "forbidden") {
          const fresh = await loadConsents().catch(() => null);
          if (fresh !== null) renderConsents(fresh);
        }
      } finally {
        input.disabled = false;
      }
    });
    row.append(text, input);
    list.append(row);
  });
}

async function exportData() {
  const status = $("export-status");
  status.textContent = "Preparing your export…";
  try {
    const response = await request("GET", "/api/v1/privacy/export", { raw: true });
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    const disposition = response.headers.get("content-disposition") || "";
    const match = disposition.match(/filename="?([^";]+)"?/);
    link.download = match ? match[1] : "reelvault-export.zip";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
    status.textContent = "Your export was downloaded.";
  } catch (error) {
    status.textContent = `Export failed: ${error.message}`;
  }
}

function wireErase() {
  const confirm = $("erase-confirm");
  $("erase").addEventListener("click", () => {
    confirm.hidden = false;
    $("erase-no").focus();
  });
  $("erase-no").addEventListener("click", () => {
    confirm.hidden = true;
    $("erase").focus();
  });
  $("erase-yes").addEventListener("click", async () => {
    const status = $("erase-status");
    status.textContent = "Deleting…";
    try {
      await request("POST", "/api/v1/privacy/erase", { json: {} });
      // The session itself was erased: start a new, empty one for this browser.
      await request("POST", "/api/v1/studio/session").catch(() => {});
      confirm.hidden = true;
      status.textContent = "Everything linked to this browser was deleted.";
    } catch (error) {
      status.textContent = `Deletion failed: ${error.message}`;
    }
  });
}

function wireNotify(config, ageEndpoint) {
  const age = config.minimum_age;
  $("age-adult-label").textContent = `I am ${age} or older`;
  $("age-child-label").textContent = `I am younger than ${age}`;
  $("notify-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("notify-error");
    const status = $("notify-status");
    error.textContent = "";
    status.textContent = "";
    const email = $("notify-email");
    const answer = document.querySelector('input[name="age"]:checked');
    if (!email.value.trim() || !email.checkValidity()) {
      error.textContent = "Enter a valid e-mail address.";
      email.focus();
      return;
    }
    if (!answer) {
      error.textContent = "Tell us whether you are old enough to sign up.";
      return;
    }
    const adult = answer.value === "adult";
    if (ageEndpoint) {
      try {
        await request("POST", "/api/v1/privacy/age", { json: { over_minimum_age: adult } });
      } catch (err) {
        error.textContent = `Could not record your answer: ${err.message}`;
        return;
      }
    }
    if (!adult) {
      // Declared under age: the address is not sent, and the server keeps nothing personal.
      email.value = "";
      error.textContent = `Sorry, you need to be at least ${age} to sign up. Your e-mail address was not sent.`;
      return;
    }
    try {
      await request("POST", "/api/v1/privacy/notify", { json: { email: email.value.trim() } });
      email.value = "";
      status.textContent = "Thanks. Check your inbox to confirm; every message has an unsubscribe link.";
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "Could not sign you up.";
    }
  });
}

function showPrefs() {
  const stored = prefs.load();
  $("prefs-view").textContent = Object.keys(stored).length
    ? JSON.stringify(stored, null, 2)
    : "Nothing stored yet.";
}

function wirePrefs() {
  showPrefs();
  $("prefs-export").addEventListener("click", () => {
    prefs.exportFile();
    $("prefs-status").textContent = "Saved reelvault-preferences.json.";
  });
  $("prefs-import").addEventListener("change", async () => {
    const file = $("prefs-import").files[0];
    if (!file) return;
    try {
      await prefs.importFile(file);
      $("prefs-status").textContent = "Preferences imported.";
    } catch (error) {
      $("prefs-status").textContent = `Not imported: ${error.message}`;
    }
    $("prefs-import").value = "";
    showPrefs();
  });
  $("prefs-clear").addEventListener("click", () => {
    prefs.forget();
    $("prefs-status").textContent = "Preferences forgotten.";
    showPrefs();
  });
}

async function start() {
  wirePrefs();
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    $("fact-policy").textContent = `Could not load: ${error.message}`;
    return;
  }
  showPolicyBadge(config);
  showAccountLink(config);
  $("fact-policy").textContent = `${config.policy}: ${config.policy_title}`;
  const kept = (text) => (/^\d/.test(text) ? `kept ${text}, then deleted` : text);
  $("fact-prompt").textContent = kept(config.prompt_retention_text);
  $("fact-upload").textContent = kept(config.upload_retention_text);
  $("fact-output").textContent = kept(config.output_retention_text);

  const [consents, canExport, canErase, canNotify, canAge] = await Promise.all([
    loadConsents().catch(() => null),
    exists("/api/v1/privacy/export"),
    exists("/api/v1/privacy/erase"),
    config.notify_available ? exists("/api/v1/privacy/notify") : false,
    exists("/api/v1/privacy/age"),
  ]);
  if (consents !== null) {
    renderConsents(consents);
    $("consents-section").hidden = false;
  }
  consentBanner(config, consents);
  $("export-block").hidden = !canExport;
  $("erase-block").hidden = !canErase;
  $("data-section").hidden = !(canExport || canErase);
  if (canExport) $("export").addEventListener("click", exportData);
  if (canErase) wireErase();
  if (canNotify) {
    wireNotify(config, canAge);
    $("notify-section").hidden = false;
  }
  document.body.dataset.ready = "true";
}

wireKeyPanel();
start();

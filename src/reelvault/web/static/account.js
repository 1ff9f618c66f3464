// The account page: profile, plan and usage (where billing reports them), API keys,
// sessions (listed; sign out one, here or everywhere) and deleting the account.

import { ApiError, get, request } from "./api.js";
import { $, busy, clearError, messageOf, ready, showError, startAccountPage } from "./account-forms.js";
import { loadKeys, wireKeys } from "./account-keys.js";
import { loadSessions } from "./account-sessions.js";
import { when } from "./format.js";

const ME = "/api/v1/account";

function words(key) {
  const text = key.replace(/_/g, " ");
  return text[0].toUpperCase() + text.slice(1);
}

function shown(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "object") return String(value);
  if ("used" in value && "limit" in value) {
    return value.limit === null ? `${value.used} (no limit)` : `${value.used} of ${value.limit}`;
  }
  return value.name || value.title || value.id || JSON.stringify(value);
}

function fact(term, value) {
  const div = document.createElement("div");
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = shown(value);
  div.append(dt, dd);
  return div;
}

// Only where the account's answer carries them (a deployment with billing); the shape
// is read loosely: a plan name or object, and usage as named numbers or used/limit pairs.
function renderPlan(me) {
  if (!("plan" in me) && !("usage" in me)) return;
  const facts = [];
  if ("plan" in me) facts.push(fact("Plan", me.plan));
  if (me.usage && typeof me.usage === "object") {
    for (const [key, value] of Object.entries(me.usage)) facts.push(fact(words(key), value));
  }
  $("plan-facts").replaceChildren(...facts);
  $("plan-section").hidden = false;
}

function greet(me) {
  $("account-title").textContent = me.display_name ? `Hello, ${me.display_name}` : "Your account";
}

function renderProfile(me, mailAvailable) {
  greet(me);
  $("display-name").value = me.display_name || "";
  $("me-email").textContent = me.email;
  $("me-verified").textContent = me.email_verified ? "Yes" : "Not yet: open the link we e-mailed you";
  $("me-since").textContent = when(me.created_at);
  $("verify-block").hidden = me.email_verified || !mailAvailable;
}

function wireName() {
  const form = $("name-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(form, "name-error");
    $("profile-status").textContent = "";
    await busy($("name-save"), async () => {
      try {
        const display_name = $("display-name").value.trim() || null;
        const me = await request("PATCH", ME, { json: { display_name } });
        greet(me);
        $("display-name").value = me.display_name || "";
        $("profile-status").textContent = me.display_name ? "Your display name is saved." : "You have no display name now.";
      } catch (error) {
        showError("name-error", error, { display_name: "display-name" });
      }
    });
  });
}

async function resendLink() {
  try {
    const answer = await request("POST", "/api/v1/account/verify-email/send");
    $("profile-status").textContent = answer.sent
      ? "A new confirmation link is on its way."
      : "The link could not be sent now: try again later.";
  } catch (error) {
    $("profile-status").textContent = `Not sent: ${messageOf(error)}`;
  }
}

async function signOut(everywhere) {
  $("sessions-error").textContent = "";
  try {
    await request("POST", `/api/v1/account/logout${everywhere ? "?everywhere=true" : ""}`);
    window.location.assign(everywhere ? "/account/login?signed_out=everywhere" : "/account/login");
  } catch (error) {
    $("sessions-error").textContent = `Not signed out: ${messageOf(error)}`;
  }
}

function wireDelete() {
  const confirm = $("delete-confirm");
  $("delete").addEventListener("click", () => {
    confirm.hidden = false;
    $("delete-no").focus();
  });
  $("delete-no").addEventListener("click", () => {
    confirm.hidden = true;
    $("delete").focus();
  });
  $("delete-yes").addEventListener("click", async () => {
    $("delete-error").textContent = "";
    $("delete-yes").disabled = true;
    try {
      await request("DELETE", ME);
      $("signed-in").hidden = true;
      $("account-status").textContent = "Your account and everything of it are deleted.";
    } catch (error) {
      $("delete-error").textContent = `Not deleted: ${messageOf(error)}`;
      $("delete-yes").disabled = false;
    }
  });
}

async function loadMe() {
  try {
    return await get(ME);
  } catch (error) {
    // 404: a session, but not an account's; 401: no session at all.
    if (error instanceof ApiError && (error.status === 404 || error.status === 401)) return null;
    throw error;
  }
}

async function init() {
  const config = await startAccountPage("account-error");
  if (config === null) return ready();
  try {
    const me = await loadMe();
    if (me === null) {
      $("signed-out").hidden = false;
      return ready();
    }
    renderProfile(me, config.notify_available);
    renderPlan(me);
    wireName();
    wireKeys(config, me);
    await loadKeys();
    await loadSessions();
    $("verify-send").addEventListener("click", resendLink);
    $("logout").addEventListener("click", () => signOut(false));
    $("logout-everywhere").addEventListener("click", () => signOut(true));
    wireDelete();
    $("signed-in").hidden = false;
    if (new URLSearchParams(window.location.search).has("welcome")) {
      window.history.replaceState(null, "", window.location.pathname);
      $("account-status").textContent = config.notify_available
        ? "Welcome! We e-mailed you a link to confirm your address."
        : "Welcome! Your account is ready.";
    }
  } catch (error) {
    $("account-error").textContent = `Could not load your account: ${messageOf(error)}`;
  }
  ready();
}

init();

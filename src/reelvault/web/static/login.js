// Sign-in: e-mail and password, or a button per OpenID Connect provider of this server.

import { request } from "./api.js";
import { $, busy, clearError, ready, refuse, showError, startAccountPage } from "./account-forms.js";

function renderProviders(providers) {
  const list = $("providers");
  list.replaceChildren();
  for (const provider of providers) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.className = "button secondary";
    link.dataset.base = `/auth/oidc/${encodeURIComponent(provider.name)}/login`;
    link.href = link.dataset.base;
    link.textContent = `Sign in with ${provider.title || provider.name}`;
    item.append(link);
    list.append(item);
  }
  $("providers-block").hidden = providers.length === 0;
}

// A first sign-in with a provider makes an account, which needs the age confirmation.
function followAgeBox() {
  const confirmed = $("providers-age").checked;
  for (const link of $("providers").querySelectorAll("a[data-base]")) {
    link.href = confirmed ? `${link.dataset.base}?age_confirmed=true` : link.dataset.base;
  }
}

async function init() {
  const config = await startAccountPage("login-error");
  ready();
  if (config === null) return;
  $("forgot-link").hidden = !config.notify_available; // a reset link needs e-mail
  renderProviders(config.accounts.providers || []);
  $("providers-age-label").textContent = `I am at least ${config.minimum_age} years old`;
  $("providers-age").addEventListener("change", followAgeBox);
  if (new URLSearchParams(window.location.search).get("signed_out") === "everywhere") {
    window.history.replaceState(null, "", window.location.pathname);
    $("login-status").textContent = "You are signed out on every device.";
  }
  const form = $("login-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(form, "login-error");
    const email = $("login-email").value.trim();
    const password = $("login-password").value;
    if (!email) return refuse("login-error", "login-email", "Enter your e-mail address.");
    if (!password) return refuse("login-error", "login-password", "Enter your password.");
    await busy($("login-submit"), async () => {
      try {
        await request("POST", "/api/v1/account/login", { json: { email, password } });
        window.location.assign("/account");
      } catch (error) {
        // The same words for a wrong password and an unknown address (the server's).
        showError("login-error", error);
        $("login-password").value = "";
        $("login-password").focus();
      }
    });
  });
}

init();

// Password reset: ask for a link by e-mail, or (opened from that link) set a new password.

import { request } from "./api.js";
import { $, busy, clearError, ready, refuse, showError, startAccountPage, takeToken } from "./account-forms.js";

function wireRequest() {
  const form = $("reset-request-form");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(form, "reset-request-error");
    $("reset-status").textContent = "";
    const email = $("reset-email").value.trim();
    if (!email.includes("@")) {
      return refuse("reset-request-error", "reset-email", "Enter your e-mail address.");
    }
    await busy($("reset-request-submit"), async () => {
      try {
        const answer = await request("POST", "/api/v1/account/password-reset", { json: { email } });
        // The same answer whether or not the address has an account.
        $("reset-status").textContent = `${answer.message[0].toUpperCase()}${answer.message.slice(1)}.`;
      } catch (error) {
        showError("reset-request-error", error, { email: "reset-email" });
      }
    });
  });
}

function wireConfirm(token) {
  const form = $("reset-confirm-form");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(form, "reset-confirm-error");
    const password = $("reset-password").value;
    if (password.length < 12) {
      return refuse("reset-confirm-error", "reset-password", "A password needs at least 12 characters.");
    }
    await busy($("reset-confirm-submit"), async () => {
      try {
        await request("POST", "/api/v1/account/password-reset/confirm", { json: { token, password } });
        form.hidden = true;
        $("reset-status").textContent = "Your new password is set. Sign in with it.";
      } catch (error) {
        showError("reset-confirm-error", error, { password: "reset-password" });
      }
    });
  });
}

async function init() {
  const token = takeToken();
  const config = await startAccountPage("reset-request-error");
  ready();
  if (config === null) return;
  if (token) wireConfirm(token);
  else if (config.notify_available) wireRequest();
  else $("reset-no-mail").hidden = false;
}

init();

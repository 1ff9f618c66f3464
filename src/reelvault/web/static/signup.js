// Sign-up: e-mail, password and the policy's minimum age. The server answers alike for new
// and known addresses (nothing tells who has an account), so the page then signs in with
// the same password; where that fails the address had an account already.

import { request } from "./api.js";
import { $, busy, clearError, ready, refuse, showError, startAccountPage } from "./account-forms.js";

const FIELDS = {
  email: "signup-email",
  password: "signup-password",
  age_confirmed: "signup-age",
  display_name: "signup-name",
};

async function init() {
  const config = await startAccountPage("signup-error");
  ready();
  if (config === null) return;
  $("signup-age-label").textContent = `I am at least ${config.minimum_age} years old`;
  const form = $("signup-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(form, "signup-error");
    const email = $("signup-email").value.trim();
    const password = $("signup-password").value;
    if (!email.includes("@")) return refuse("signup-error", "signup-email", "Enter your e-mail address.");
    if (password.length < 12) {
      return refuse("signup-error", "signup-password", "A password needs at least 12 characters.");
    }
    if (!$("signup-age").checked) {
      return refuse(
        "signup-error",
        "signup-age",
        `Accounts are for people aged ${config.minimum_age} or over: confirm your age to sign up.`,
      );
    }
    await busy($("signup-submit"), async () => {
      try {
        await request("POST", "/api/v1/account/signup", {
          json: { email, password, age_confirmed: true, display_name: $("signup-name").value.trim() || null },
        });
      } catch (error) {
        return showError("signup-error", error, FIELDS);
      }
      try {
        await request("POST", "/api/v1/account/login", { json: { email, password } });
        window.location.assign("/account?welcome=1");
      } catch (error) {
        // The same words the API uses: whether the address was taken stays unsaid.
        error.message =
          "If this address can have a new account, it has one now: check your mail, then sign in.";
        showError("signup-error", error, FIELDS);
      }
    });
  });
  form.addEventListener("input", (event) => event.target.removeAttribute("aria-invalid"));
}

init();

// The e-mailed confirmation link: its token is sent once, and the page says what came of it.

import { request } from "./api.js";
import { $, messageOf, ready, takeToken } from "./account-forms.js";
import { loadConfig, showAccountLink, showPolicyBadge } from "./common.js";

async function init() {
  const token = takeToken();
  try {
    const config = await loadConfig();
    showPolicyBadge(config);
    showAccountLink(config);
  } catch {
    // the header's extras only; the confirmation does not need them
  }
  if (!token) {
    $("verify-error").textContent = "This link has no confirmation code: open the link from the e-mail again.";
  } else {
    $("verify-status").textContent = "Confirming…";
    try {
      await request("POST", "/api/v1/account/verify-email", { json: { token } });
      $("verify-status").textContent = "Your e-mail address is confirmed. Thank you.";
    } catch (error) {
      $("verify-status").textContent = "";
      $("verify-error").textContent = messageOf(error);
    }
  }
  ready();
}

init();

// What both pages share: the deployment's config, the policy badge, the consent banner.

import { ApiError, get, request } from "./api.js";

const BANNER_KEY = "reelvault.banner";

export async function loadConfig() {
  return get("/api/v1/studio/config");
}

// The privacy consents API, or null where this deployment has none (404).
export async function loadConsents() {
  try {
    const data = await get("/api/v1/privacy/consents");
    return Array.isArray(data.purposes) ? data.purposes : [];
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    throw error;
  }
}

export function setConsent(purpose, granted) {
  return request("PUT", `/api/v1/privacy/consents/${encodeURIComponent(purpose)}`, {
    json: { granted },
  });
}

export function showPolicyBadge(config) {
  const badge = document.getElementById("policy-badge");
  if (!badge) return;
  badge.textContent = `${config.policy} policy`;
  badge.title = config.policy_title;
  badge.hidden = false;
}

// Only when the policy needs a yes before doing something (opt-in analytics); once
// answered, the answer is the server's consent record and the banner stays away.
export async function consentBanner(config, consents) {
  const banner = document.getElementById("consent-banner");
  if (!banner || !config.consent_banner || consents === null) return;
  if (localStorage.getItem(BANNER_KEY)) return;
  banner.hidden = false;
  for (const button of banner.querySelectorAll("button[data-banner]")) {
    button.addEventListener("click", async () => {
      try {
        await setConsent("analytics", button.dataset.banner === "yes");
        localStorage.setItem(BANNER_KEY, "answered");
        banner.hidden = true;
      } catch (error) {
        banner.querySelector("p").textContent = `Could not save your answer: ${error.message}`;
      }
    });
  }
}

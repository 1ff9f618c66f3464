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

// Granting asks the age first where the server wants it (adults-only purposes);
// withdrawing never does.
export function setConsent(purpose, granted) {
  const put = () =>
    request("PUT", `/api/v1/privacy/consents/${encodeURIComponent(purpose)}`, {
      json: { granted },
    });
  return granted ? askingAge(put) : put();
}

// Adults-only actions (news by e-mail, third-party providers) answer 403 `age_required`
// for someone who never said how old they are: ask once, record the answer at the
// endpoint the error names, and try again. Under the minimum age the action is refused,
// and the server keeps that answer (only its operator can change it).
export async function askingAge(action) {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== "age_required") throw error;
    const detail = (error.body && error.body.error) || {};
    const age = detail.minimum_age || 13;
    const adult = await askAge(age);
    if (adult === null) {
      throw new ApiError(403, "age_required", "Nothing was changed: this needs your answer to the age question.", error.body);
    }
    await request("POST", detail.age_endpoint || "/api/v1/privacy/age", {
      json: { over_minimum_age: adult },
    });
    if (!adult) {
      throw new ApiError(403, "forbidden", `Sorry, this is only for people who are ${age} or older. Nothing was changed.`, null);
    }
    return action();
  }
}

// A modal question: resolves true (old enough), false (younger) or null (dismissed).
function askAge(age) {
  return new Promise((resolve) => {
    const dialog = document.createElement("dialog");
    dialog.className = "age-dialog";
    dialog.setAttribute("aria-labelledby", "age-dialog-title");
    dialog.setAttribute("aria-describedby", "age-dialog-text");
    const form = document.createElement("form");
    form.method = "dialog";
    const title = document.createElement("h2");
    title.id = "age-dialog-title";
    title.textContent = "How old are you?";
    const text = document.createElement("p");
    text.id = "age-dialog-text";
    text.textContent =
      `This is only for people who are ${age} or older. If you are younger, this service ` +
      "keeps nothing personal about you, and only its operator can change that answer.";
    const actions = document.createElement("div");
    actions.className = "actions";
    const answers = [
      ["adult", `I am ${age} or older`, "primary"],
      ["child", `I am younger than ${age}`, ""],
      ["cancel", "Cancel", ""],
    ];
    for (const [value, label, kind] of answers) {
      const button = document.createElement("button");
      button.type = "submit";
      button.value = value;
      button.textContent = label;
      if (kind) button.className = kind;
      actions.append(button);
    }
    form.append(title, text, actions);
    dialog.append(form);
    dialog.addEventListener("close", () => {
      const answer = { adult: true, child: false }[dialog.returnValue];
      dialog.remove();
      resolve(answer === undefined ? null : answer);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// The header's link to the account pages, and the key panel's offer to sign in instead,
// where this server has accounts.
export function showAccountLink(config) {
  if (!config.accounts || !config.accounts.enabled) return;
  for (const id of ["account-link", "key-sign-in"]) {
    const element = document.getElementById(id);
    if (element) element.hidden = false;
  }
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

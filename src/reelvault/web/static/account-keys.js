// The account page's API keys: list them, make one (its secret shown this once, with a
// copy button), revoke one. Only a browser signed in to the account can do this.

import { get, request } from "./api.js";
import { $, busy, clearError, messageOf, refuse, showError } from "./account-forms.js";

const KEYS_PATH = "/api/v1/account/keys";

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function day(iso) {
  return iso ? new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" }) : "never";
}

async function revoke(key) {
  $("keys-error").textContent = "";
  try {
    await request("DELETE", `${KEYS_PATH}/${encodeURIComponent(key.id)}`);
    $("keys-status").textContent = `The key "${key.name}" is revoked: it no longer works.`;
    await loadKeys();
    $("key-name").focus(); // its row's button is gone: focus somewhere that stays
  } catch (error) {
    $("keys-error").textContent = `Not revoked: ${messageOf(error)}`;
  }
}

function row(key) {
  const tr = document.createElement("tr");
  tr.dataset.key = key.id;
  const name = document.createElement("th");
  name.scope = "row";
  name.textContent = key.name;
  const prefix = document.createElement("td");
  const code = document.createElement("code");
  code.textContent = `${key.prefix}…`;
  prefix.append(code);
  tr.append(
    name,
    prefix,
    cell(key.scopes.join(", ")),
    cell(day(key.last_used_on)),
    cell(key.revoked ? `revoked ${day(key.revoked_at)}` : "active"),
  );
  const actions = document.createElement("td");
  if (!key.revoked) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "danger small";
    button.textContent = "Revoke";
    button.setAttribute("aria-label", `Revoke the key ${key.name}`);
    button.addEventListener("click", () => busy(button, () => revoke(key)));
    actions.append(button);
  }
  tr.append(actions);
  return tr;
}

export async function loadKeys() {
  const { data } = await get(KEYS_PATH);
  $("keys").replaceChildren(...data.map(row));
  $("keys-table").hidden = data.length === 0;
  $("keys-empty").hidden = data.length !== 0;
}

function renderScopes(choices, isAdmin) {
  const fieldset = $("key-scopes");
  for (const choice of choices) {
    if (choice.admin_only && !isAdmin) continue;
    const id = `scope-${choice.name.replace(/[^a-z]/g, "-")}`;
    const wrap = document.createElement("div");
    wrap.className = "field check";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.id = id;
    input.name = "scope";
    input.value = choice.name;
    input.checked = !choice.admin_only;
    input.setAttribute("aria-describedby", `${id}-hint`);
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = choice.name;
    const hint = document.createElement("p");
    hint.className = "hint";
    hint.id = `${id}-hint`;
    hint.textContent = choice.help;
    wrap.append(input, label, hint);
    fieldset.append(wrap);
  }
}

function showSecret(created) {
  $("new-key-label").textContent = `The new key "${created.name}"`;
  $("new-key-secret").value = created.secret;
  $("new-key-status").textContent = "";
  $("new-key").hidden = false;
  $("new-key-secret").focus();
  $("new-key-secret").select();
}

function hideSecret() {
  $("new-key-secret").value = ""; // gone from the page, not only from view
  $("new-key").hidden = true;
  $("key-name").focus();
}

async function copySecret() {
  const input = $("new-key-secret");
  try {
    await navigator.clipboard.writeText(input.value);
    $("new-key-status").textContent = "Copied.";
  } catch {
    input.focus();
    input.select();
    $("new-key-status").textContent = "The key is selected: copy it with your keyboard.";
  }
}

export function wireKeys(config, me) {
  renderScopes(config.accounts.key_scopes, me.role === "admin");
  const form = $("key-create-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(form, "key-create-error");
    const name = $("key-name").value.trim();
    const scopes = [...form.querySelectorAll("input[name=scope]:checked")].map((i) => i.value);
    if (!name) return refuse("key-create-error", "key-name", "Give the key a name.");
    if (scopes.length === 0) {
      $("key-create-error").textContent = "Choose at least one thing the key may do.";
      form.querySelector("input[name=scope]").focus();
      return;
    }
    await busy($("key-create"), async () => {
      try {
        const created = await request("POST", KEYS_PATH, { json: { name, scopes } });
        $("key-name").value = "";
        $("keys-status").textContent = "";
        showSecret(created);
        await loadKeys();
      } catch (error) {
        showError("key-create-error", error, { name: "key-name" });
      }
    });
  });
  $("new-key-copy").addEventListener("click", copySecret);
  $("new-key-done").addEventListener("click", hideSecret);
}

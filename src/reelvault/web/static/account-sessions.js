// The account page's sessions: every browser signed in to the account, newest first,
// this one marked; any other one can be signed out from here (a lost phone, a shared
// computer). No address or browser name is kept, so a session is told by its start.

import { get, request } from "./api.js";
import { $, busy, messageOf } from "./account-forms.js";
import { when } from "./format.js";

const SESSIONS_PATH = "/api/v1/account/sessions";

async function endOne(session) {
  $("sessions-error").textContent = "";
  try {
    await request("DELETE", `${SESSIONS_PATH}/${encodeURIComponent(session.id)}`);
    // The list is drawn again before the status speaks, so what is read matches what is shown.
    await loadSessions();
    $("sessions-status").textContent = `The session signed in ${when(session.created_at)} is signed out.`;
    $("logout").focus(); // its row's button is gone: focus somewhere that stays
  } catch (error) {
    $("sessions-error").textContent = `Not signed out: ${messageOf(error)}`;
  }
}

function item(session) {
  const li = document.createElement("li");
  li.dataset.session = session.id;
  const text = document.createElement("span");
  const how = session.opened_with_key ? " with an API key" : "";
  text.textContent = session.current
    ? `This browser: signed in ${when(session.created_at)}${how}`
    : `Signed in ${when(session.created_at)}${how}`;
  li.append(text);
  if (!session.current) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small";
    button.textContent = "Sign out";
    button.setAttribute("aria-label", `Sign out the session signed in ${when(session.created_at)}`);
    button.addEventListener("click", () => busy(button, () => endOne(session)));
    li.append(" ", button);
  }
  return li;
}

export async function loadSessions() {
  try {
    const sessions = await get(SESSIONS_PATH);
    $("session-list").replaceChildren(...sessions.map(item));
  } catch (error) {
    $("sessions-error").textContent = `Could not list the sessions: ${messageOf(error)}`;
  }
}

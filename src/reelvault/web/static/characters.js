// Saved characters in the studio: the list, the form that saves one (with the likeness
// affirmation), and the "Saved character" choice of the create form. docs/characters.md.

import { ApiError, get, request } from "./api.js";

const $ = (id) => document.getElementById(id);
let saved = [];
let changed = () => {};

export function chosenCharacter() {
  const select = $("character");
  return select && !$("character-field").hidden && select.value ? select.value : null;
}

function fillChoice() {
  const select = $("character");
  const current = select.value;
  select.replaceChildren(
    new Option("None: use the photo", ""),
    ...saved.map((item) => new Option(item.name, item.id)),
  );
  select.value = saved.some((item) => item.id === current) ? current : "";
}

function row(item) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = item.name;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "danger small";
  remove.textContent = "Delete";
  remove.setAttribute("aria-label", `Delete character ${item.name}`);
  remove.addEventListener("click", async () => {
    remove.disabled = true;
    try {
      await request("DELETE", `/api/v1/characters/${encodeURIComponent(item.id)}`);
      await refreshCharacters();
    } catch (err) {
      $("character-error").textContent = err.message;
      remove.disabled = false;
    }
  });
  li.append(name, remove);
  return li;
}

export async function refreshCharacters() {
  try {
    saved = (await get("/api/v1/characters")).data;
  } catch {
    saved = [];
  }
  $("character-list").replaceChildren(...saved.map(row));
  fillChoice();
  changed();
}

async function save(event) {
  event.preventDefault();
  $("character-error").textContent = "";
  const name = $("character-name").value.trim();
  const file = $("character-media").files[0];
  if (!name) {
    $("character-error").textContent = "Give the character a name.";
    $("character-name").focus();
    return;
  }
  if (!file) {
    $("character-error").textContent = "Choose a photo or a short video of the person.";
    $("character-media").focus();
    return;
  }
  if (!$("character-affirmed").checked) {
    $("character-error").textContent = "Confirm that you are this person or have their permission.";
    $("character-affirmed").focus();
    return;
  }
  const form = new FormData();
  form.append("name", name);
  form.append("likeness_affirmed", "true");
  form.append("video", file);
  const button = $("character-save");
  button.disabled = true;
  try {
    await request("POST", "/api/v1/characters", { form });
    $("character-form").reset();
    await refreshCharacters();
  } catch (err) {
    $("character-error").textContent = err.message;
    if (err instanceof ApiError && err.code === "likeness_affirmation_required") $("character-affirmed").focus();
  } finally {
    button.disabled = false;
  }
}

// Shown only where the server's policy keeps characters; ``onChange`` runs after the list
// changes or a character is chosen (the create form re-checks what it needs).
export async function wireCharacters(config, onChange) {
  if (!config.characters) return;
  changed = onChange;
  $("characters").hidden = false;
  $("characters-note").textContent =
    `A person's photo or short video saved under a name, kept ${config.character_retention_text} ` +
    "and shown to nobody else. No faceprint is stored.";
  $("character-media").accept = [...config.uploads.image_types, ...config.uploads.video_types].join(",");
  $("character-form").addEventListener("submit", save);
  $("character").addEventListener("change", () => changed());
  await refreshCharacters();
}

// Preferences live in this browser's localStorage only. They reach the server only as
// the fields of a generation request, never on their own.

const KEY = "reelvault.prefs";
const FIELDS = ["task", "engines", "size", "seconds"];

export function load() {
  try {
    const data = JSON.parse(localStorage.getItem(KEY) || "{}");
    return clean(data);
  } catch {
    return {};
  }
}

export function save(prefs) {
  localStorage.setItem(KEY, JSON.stringify(clean(prefs)));
}

export function update(changes) {
  const prefs = { ...load(), ...changes };
  save(prefs);
  return prefs;
}

export function forget() {
  localStorage.removeItem(KEY);
}

// Only known fields of the expected types survive, so an imported file cannot smuggle
// anything else into storage.
export function clean(data) {
  const out = {};
  if (!data || typeof data !== "object" || Array.isArray(data)) return out;
  if (typeof data.task === "string") out.task = data.task.slice(0, 32);
  if (typeof data.size === "string" && /^\d{2,4}x\d{2,4}$/.test(data.size)) out.size = data.size;
  if (typeof data.seconds === "number" && data.seconds > 0 && data.seconds <= 600) {
    out.seconds = data.seconds;
  }
  if (data.engines && typeof data.engines === "object" && !Array.isArray(data.engines)) {
    out.engines = {};
    for (const [task, name] of Object.entries(data.engines)) {
      if (typeof name === "string" && name.length <= 64) out.engines[task.slice(0, 32)] = name;
    }
  }
  return out;
}

export function exportFile() {
  const blob = new Blob([JSON.stringify({ reelvault_prefs: 1, ...load() }, null, 2)], {
    type: "application/json",
  });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = "reelvault-preferences.json";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export async function importFile(file) {
  const data = JSON.parse(await file.text());
  const prefs = clean(data);
  if (!Object.keys(prefs).length) throw new Error("no preferences found in this file");
  save(prefs);
  return prefs;
}

export { FIELDS };

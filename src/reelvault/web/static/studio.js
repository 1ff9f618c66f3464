// The studio: pick a flow, check inputs in the browser, submit, watch, play, manage.

import { ApiError, get, request } from "./api.js";
import { chosenCharacter, wireCharacters } from "./characters.js";
import { consentBanner, loadConfig, loadConsents, setConsent, showAccountLink, showPolicyBadge } from "./common.js";
import { wireKeyPanel } from "./credential.js";
import { TASK_NAMES, bytes, countdown, when } from "./format.js";
import * as prefs from "./prefs.js";
import { providerOfModel } from "./providers.js";
import { readParams, renderParams } from "./schema-form.js";

const $ = (id) => document.getElementById(id);

const SIZES = [
  "256x144", "320x180", "640x360", "854x480", "1280x720", "1920x1080",
  "256x256", "512x512", "768x768", "1024x1024",
  "360x640", "720x1280", "1080x1920",
];
const FRAME_RATES = [8, 12, 15, 24, 25, 30, 60];
// What a remote job sends: the prompt and the negative prompt too, not only the files.
const SENDS = {
  text_to_video: "your prompt and negative prompt",
  image_to_video: "your photo, prompt and negative prompt",
  dance: "your photo, the reference video and any prompt or negative prompt",
};

const state = {
  config: null,
  engines: [],
  consents: null,
  engine: null,
  paramFields: [],
  inputs: { image: null, reference_video: null }, // {file, ok}
  job: null,
  events: null,
  queueTimer: null,
  expiryTimer: null,
  galleryTimer: null,
  // Prompts this page sent, by job id (in memory only): the procedural engine's report of
  // the words it drew is asked for again with it once the policy keeps no prompt.
  prompts: new Map(),
};

function task() {
  return document.querySelector('input[name="task"]:checked').value;
}

function setError(id, message) {
  $(id).textContent = message || "";
}

// ---- engines and settings --------------------------------------------------------

function enginesFor(name) {
  return state.engines.filter((engine) => engine.tasks.includes(name));
}

function usable(engine) {
  const required = engine.params_schema.required || [];
  return engine.runs_locally && required.length === 0 ? 0 : 1;
}

// A saved character stands for the photo: its affirmation was given when it was saved.
function applyCharacterChoice() {
  const needsImage = task() !== "text_to_video";
  $("likeness-field").hidden = !needsImage || chosenCharacter() !== null;
}

function applyTask() {
  const current = task();
  prefs.update({ task: current });
  const needsImage = current !== "text_to_video";
  $("image-field").hidden = !needsImage;
  $("video-field").hidden = current !== "dance";
  $("character-field").hidden = !needsImage || !state.config?.characters;
  applyCharacterChoice();
  $("prompt-optional").hidden = current === "text_to_video";
  $("prompt").required = current === "text_to_video";

  const select = $("engine");
  const choices = enginesFor(current);
  select.replaceChildren(
    ...choices.map((engine) => {
      const where = engine.runs_locally ? "" : " (third party)";
      return new Option(`${engine.name}${where}`, engine.name);
    }),
  );
  const saved = (prefs.load().engines || {})[current];
  const preferred =
    choices.find((engine) => engine.name === saved) ||
    [...choices].sort((a, b) => usable(a) - usable(b))[0];
  if (preferred) select.value = preferred.name;
  applyEngine(false);
}

function applyEngine(remember = true) {
  const current = task();
  state.engine = state.engines.find((engine) => engine.name === $("engine").value) || null;
  const engine = state.engine;
  $("generate").disabled = !engine;
  if (!engine) {
    $("engine-description").textContent = "No engine on this server makes this kind of video.";
    return;
  }
  if (remember) {
    const saved = prefs.load().engines || {};
    prefs.update({ engines: { ...saved, [current]: engine.name } });
  }
  const where = engine.runs_locally ? `Runs on this server (${engine.device}).` : "Runs at a third-party provider.";
  $("engine-description").textContent = `${engine.description} ${where}`;

  const limits = engine.limits;
  const stored = prefs.load();
  const sizeSelect = $("size");
  const fits = SIZES.filter((size) => {
    const [w, h] = size.split("x").map(Number);
    return w >= limits.width[0] && w <= limits.width[1] && h >= limits.height[0] &&
      h <= limits.height[1] && w * h <= limits.max_pixels;
  });
  if (stored.size && !fits.includes(stored.size)) {
    const [w, h] = stored.size.split("x").map(Number);
    if (w * h <= limits.max_pixels) fits.push(stored.size);
  }
  sizeSelect.replaceChildren(...fits.map((size) => new Option(size.replace("x", " × "), size)));
  sizeSelect.value = fits.includes(stored.size) ? stored.size : fits.includes("640x360") ? "640x360" : fits[0];

  const seconds = $("seconds");
  seconds.min = limits.seconds[0];
  seconds.max = limits.seconds[1];
  const wanted = stored.seconds ?? 4;
  seconds.value = String(Math.min(limits.seconds[1], Math.max(limits.seconds[0], wanted)));

  const fps = $("fps");
  const rates = FRAME_RATES.filter((rate) => rate >= limits.fps[0] && rate <= limits.fps[1]);
  fps.replaceChildren(...rates.map((rate) => new Option(`${rate} fps`, String(rate))));
  fps.value = rates.includes(24) ? "24" : String(rates[0]);

  state.paramFields = renderParams($("params"), engine.params_schema);
  $("options").hidden = state.paramFields.length === 0;
  const model = state.paramFields.find((item) => item.name === "model");
  if (model) model.input.addEventListener("input", showRemoteNotice);
  showRemoteNotice();
  fitToInputs();
  checkInputs();
}

// ---- third-party engines: say what goes where, ask first --------------------------

// The provider the chosen model runs at (fal, replicate, comfyui), never the engine's own
// name: the job gate checks provider:fal, so a consent under provider:remote would be ignored.
function modelOf() {
  const field = state.paramFields.find((item) => item.name === "model");
  return field ? field.input.value : "";
}

function providerOf(engine) {
  return providerOfModel(modelOf()) || engine.provider || null;
}

function providerTitle(engine) {
  return providerOf(engine) || "the provider the model names";
}

function consentFor(engine) {
  if (!state.consents) return null;
  const name = providerOf(engine);
  if (!name) return { purpose: null, granted: false };
  const purpose = `provider:${name}`;
  return state.consents.find((item) => item.purpose === purpose) || { purpose, granted: false };
}

function showRemoteNotice() {
  const engine = state.engine;
  const notice = $("remote-notice");
  if (!engine || engine.runs_locally) {
    notice.hidden = true;
    return;
  }
  notice.hidden = false;
  for (const node of notice.querySelectorAll("[data-provider]")) node.textContent = providerTitle(engine);
  for (const node of notice.querySelectorAll("[data-sends]")) node.textContent = SENDS[task()];
  const consent = consentFor(engine);
  const button = $("remote-consent");
  if (consent === null) {
    $("remote-consent-status").textContent =
      "This server cannot record consent, so it will refuse to send anything to this provider.";
    button.hidden = true;
  } else if (!consent.purpose) {
    $("remote-consent-status").textContent = "Choose a model first: it names the provider.";
    button.hidden = true;
  } else if (consent.granted) {
    $("remote-consent-status").textContent = "You allowed this. You can withdraw it in the privacy centre.";
    button.hidden = true;
  } else {
    $("remote-consent-status").textContent = "Nothing is sent until you allow it.";
    button.hidden = false;
  }
}

async function grantProvider() {
  const engine = state.engine;
  try {
    const name = providerOf(engine);
    if (!name) return;
    await setConsent(`provider:${name}`, true);
    state.consents = (await loadConsents()) || [];
    const consent = consentFor(engine);
    if (consent && !consent.granted) consent.granted = true;
  } catch (error) {
    setError("form-error", `Could not record your consent: ${error.message}`);
  }
  showRemoteNotice();
}

// ---- inputs: instant preview and the server's own checks -------------------------

function fileTypeOk(file, allowed) {
  if (file.type) return allowed.includes(file.type);
  const ext = file.name.split(".").pop().toLowerCase();
  const guesses = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp",
    mp4: "video/mp4", mov: "video/quicktime", webm: "video/webm", mkv: "video/x-matroska",
    bvh: "application/x-bvh" };
  return allowed.includes(guesses[ext]);
}

async function takeImage(file) {
  const limits = state.config.uploads;
  const preview = $("image-preview");
  state.inputs.image = null;
  setError("image-error", "");
  preview.hidden = true;
  if (!file) return checkInputs();
  if (!fileTypeOk(file, limits.image_types)) {
    setError("image-error", "This is not a JPEG, PNG or WebP image.");
    return checkInputs();
  }
  if (file.size > limits.max_image_bytes) {
    setError("image-error", `This photo is ${bytes(file.size)}; the limit is ${bytes(limits.max_image_bytes)}.`);
    return checkInputs();
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    setError("image-error", "This image cannot be read.");
    return checkInputs();
  }
  const { width, height } = bitmap;
  bitmap.close();
  if (Math.min(width, height) < limits.min_image_side || Math.max(width, height) > limits.max_image_side) {
    setError("image-error", `The photo is ${width}×${height}; sides must be ${limits.min_image_side}–${limits.max_image_side} pixels.`);
    return checkInputs();
  }
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  preview.alt = `Preview of ${file.name}`;
  preview.hidden = false;
  $("image-help").textContent = `${file.name} · ${width}×${height} · ${bytes(file.size)}`;
  state.inputs.image = { file, width, height };
  fitToInputs();
  checkInputs();
}

// ---- a dance follows its inputs: the reference's length, the photo's orientation ------

function orientation(width, height) {
  const ratio = width / height;
  return ratio < 0.9 ? "portrait" : ratio > 1.1 ? "landscape" : "square";
}

// A size of the photo's orientation, as near as offered to the chosen size's pixel count
// (640 × 360 becomes 360 × 640): a portrait dancer is not shrunk into a landscape frame.
function sizeFor(photo, current) {
  const want = orientation(photo.width, photo.height);
  const [cw, ch] = current.split("x").map(Number);
  if (orientation(cw, ch) === want) return current;
  let best = null;
  for (const option of $("size").options) {
    const [w, h] = option.value.split("x").map(Number);
    if (orientation(w, h) !== want) continue;
    const distance = Math.abs(Math.log((w * h) / (cw * ch)));
    if (!best || distance < best.distance) best = { size: option.value, distance };
  }
  return best ? best.size : current;
}

// Called when a photo or a reference is chosen, and when the engine changes: the dance
// lasts as long as its reference (within the engine's limit; the user may shorten it)
// and its frame has the photo's orientation. Other tasks keep the user's settings.
function fitToInputs() {
  $("seconds-note").textContent = "";
  if (task() !== "dance" || !state.engine) return;
  const photo = state.inputs.image;
  if (photo && photo.width && photo.height) $("size").value = sizeFor(photo, $("size").value);
  const reference = state.inputs.reference_video;
  if (reference && Number.isFinite(reference.duration) && reference.duration > 0) {
    const [low, high] = state.engine.limits.seconds;
    const seconds = Math.min(high, Math.max(low, Math.round(reference.duration * 10) / 10));
    $("seconds").value = String(seconds);
    $("seconds-note").textContent =
      seconds < reference.duration - 0.05
        ? `The reference lasts ${reference.duration.toFixed(1)} s; this engine makes at most ${high} s.`
        : "As long as the reference; shorten it here if you like.";
  }
}

function videoDuration(element) {
  return new Promise((resolve) => {
    element.addEventListener("loadedmetadata", () => resolve(element.duration), { once: true });
    element.addEventListener("error", () => resolve(null), { once: true });
  });
}

// A BVH motion-capture file: its header says how many frames and how long each lasts
// (after the skeleton, which the server limits to 256 KiB). The server parses it all.
async function motionLength(file) {
  const text = await file.slice(0, 512 * 1024).text();
  if (!/^\uFEFF?\s*HIERARCHY\s/.test(text)) return null;
  const found = /\nMOTION\s*\n\s*Frames:\s*(\d+)\s*\n\s*Frame\s+Time:\s*([0-9.eE+-]+)/.exec(
    text.replaceAll("\r", ""),
  );
  if (!found) return null;
  const duration = Number(found[1]) * Number(found[2]);
  return Number.isFinite(duration) && duration > 0 ? duration : null;
}

async function takeMotion(file) {
  const limits = state.config.uploads;
  if (file.size > limits.max_motion_bytes) {
    setError("video-error", `This BVH file is ${bytes(file.size)}; the limit is ${bytes(limits.max_motion_bytes)}.`);
    return checkInputs();
  }
  const duration = await motionLength(file);
  if (duration === null) {
    setError("video-error", "This BVH file has no HIERARCHY, or no MOTION with its frames and frame time.");
    return checkInputs();
  }
  if (duration > limits.max_video_seconds + 0.05) {
    setError("video-error", `This motion lasts ${duration.toFixed(1)} s; the limit is ${limits.max_video_seconds} s.`);
    return checkInputs();
  }
  $("video-help").textContent = `${file.name} · BVH motion · ${duration.toFixed(1)} s · ${bytes(file.size)}`;
  state.inputs.reference_video = { file, duration, motion: true };
  fitToInputs();
  checkInputs();
}

async function takeVideo(file) {
  const limits = state.config.uploads;
  const preview = $("video-preview");
  state.inputs.reference_video = null;
  $("seconds-note").textContent = "";
  setError("video-error", "");
  preview.hidden = true;
  if (!file) return checkInputs();
  // Browsers know no type for .bvh: the name says it, the content (HIERARCHY) decides.
  if (limits.motion_types.includes(file.type) || /\.bvh$/i.test(file.name)) return takeMotion(file);
  if (!fileTypeOk(file, limits.video_types)) {
    setError("video-error", "This is not an MP4, MOV, WebM or MKV video, or a BVH motion file.");
    return checkInputs();
  }
  if (file.size > limits.max_video_bytes) {
    setError("video-error", `This video is ${bytes(file.size)}; the limit is ${bytes(limits.max_video_bytes)}.`);
    return checkInputs();
  }
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  const duration = await videoDuration(preview);
  let note = "";
  if (duration === null) {
    note = " · no preview in this browser";
  } else {
    if (duration > limits.max_video_seconds + 0.05) {
      setError("video-error", `This video lasts ${duration.toFixed(1)} s; the limit is ${limits.max_video_seconds} s.`);
      return checkInputs();
    }
    note = ` · ${duration.toFixed(1)} s`;
    preview.hidden = false;
    preview.play().catch(() => {});
  }
  $("video-help").textContent = `${file.name}${note} · ${bytes(file.size)}`;
  state.inputs.reference_video = { file, duration };
  fitToInputs();
  checkInputs();
}

function wireDrop(zoneId, input, take) {
  const zone = $(zoneId);
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      take(input.files[0]);
    }
  });
  input.addEventListener("change", () => take(input.files[0] || null));
}

function checkInputs() {
  const limit = state.config ? state.config.max_prompt_chars : 0;
  const length = $("prompt").value.length;
  $("prompt-count").textContent = limit ? `${length} / ${limit} characters` : "";
  $("prompt-count").classList.toggle("over", length > limit);
}

// ---- generate ---------------------------------------------------------------------

function collect() {
  const current = task();
  const engine = state.engine;
  if (!engine) return { error: "Choose an engine." };
  const prompt = $("prompt").value.trim();
  if (current === "text_to_video" && !prompt) return { error: "Write a prompt first.", focus: "prompt" };
  if (prompt.length > state.config.max_prompt_chars) {
    return { error: `The prompt is longer than ${state.config.max_prompt_chars} characters.`, focus: "prompt" };
  }
  if (current !== "text_to_video" && !state.inputs.image && !chosenCharacter()) {
    return { error: "Choose a photo that passes the checks, or a saved character.", focus: "image" };
  }
  if (current === "dance" && !state.inputs.reference_video) {
    return { error: "Choose a reference dance video that passes the checks.", focus: "reference_video" };
  }
  if (current === "dance" && state.inputs.reference_video.motion && !engine.reads_motion) {
    return {
      error: `The ${engine.name} engine dances from a video, not a BVH file: choose an engine that reads motion.`,
      focus: "engine",
    };
  }
  const seconds = Number($("seconds").value);
  const [low, high] = engine.limits.seconds;
  if (!Number.isFinite(seconds) || seconds < low || seconds > high) {
    return { error: `Duration must be between ${low} and ${high} seconds.`, focus: "seconds" };
  }
  const seedText = $("seed").value.trim();
  const seed = seedText === "" ? null : Number(seedText);
  if (seed !== null && (!Number.isInteger(seed) || seed < 0)) {
    return { error: "The seed must be a whole number (or empty for a random one).", focus: "seed" };
  }
  const params = readParams(state.paramFields);
  if (params.error) {
    $("options").open = true;
    return { error: params.error, focusElement: params.input };
  }
  if (!engine.runs_locally) {
    const consent = consentFor(engine);
    if (!consent || !consent.granted) {
      return { error: `Allow sending to ${providerTitle(engine)} first, or pick an engine that runs here.`, focus: "remote-consent" };
    }
  }
  const fields = {
    task: current,
    engine: engine.name,
    seconds,
    size: $("size").value,
    fps: Number($("fps").value),
    params: params.values,
  };
  if (prompt) fields.prompt = prompt;
  if (seed !== null) fields.seed = seed;
  return { fields };
}

async function generate(event) {
  event.preventDefault();
  setError("form-error", "");
  const { fields, error, focus, focusElement } = collect();
  if (error) {
    setError("form-error", error);
    (focusElement || (focus && $(focus)))?.focus();
    return;
  }
  const button = $("generate");
  button.disabled = true;
  button.textContent = "Sending…";
  try {
    let job;
    if (fields.task === "text_to_video") {
      job = await request("POST", "/api/v1/jobs", { json: fields });
    } else {
      const form = new FormData();
      for (const [key, value] of Object.entries(fields)) {
        form.append(key, key === "params" ? JSON.stringify(value) : String(value));
      }
      const character = chosenCharacter();
      if (character) {
        form.append("character", character);
      } else {
        if ($("likeness_affirmed").checked) form.append("likeness_affirmed", "true");
        form.append("image", state.inputs.image.file);
      }
      if (fields.task === "dance") form.append("reference_video", state.inputs.reference_video.file);
      job = await request("POST", "/api/v1/jobs", { form });
    }
    if (fields.prompt) state.prompts.set(job.id, fields.prompt);
    watch(job);
    refreshGallery();
    // On a narrow screen the result sits below the form: bring the progress into view.
    if (window.matchMedia("(max-width: 900px)").matches) $("result").scrollIntoView({ block: "start" });
  } catch (err) {
    if (err instanceof ApiError && err.code === "consent_required") showRemoteNotice();
    if (err instanceof ApiError && err.code === "likeness_affirmation_required") {
      $("likeness_affirmed").focus();
    }
    setError("form-error", err.message);
  } finally {
    button.disabled = !state.engine;
    button.textContent = "Generate";
  }
}

// ---- progress -----------------------------------------------------------------------

function stopWatching() {
  if (state.events) state.events.close();
  state.events = null;
  clearInterval(state.queueTimer);
  state.queueTimer = null;
}

function showPanel(which) {
  $("result-empty").hidden = which !== "empty";
  $("job-progress").hidden = which !== "progress";
  $("job-result").hidden = which !== "result";
  if (which !== "error") $("job-error").hidden = true;
  if (which !== "result") clearInterval(state.expiryTimer);
}

async function queuePosition(job) {
  try {
    const list = await get("/api/v1/jobs?limit=100");
    const ahead = list.data.filter(
      (other) => other.status === "queued" && other.id !== job.id && other.created_at < job.created_at,
    ).length;
    const running = list.data.some((other) => other.status === "in_progress");
    if (state.job?.id !== job.id || state.job.status !== "queued") return;
    const text = ahead === 0
      ? running ? "Queued: next up, after the job now running." : "Queued: starting shortly."
      : `Queued: ${ahead} job${ahead === 1 ? "" : "s"} ahead of yours.`;
    $("job-status").textContent = text;
  } catch {
    // the position is a courtesy; progress events still arrive
  }
}

function showProgress(job) {
  state.job = job;
  showPanel("progress");
  $("job-bar").value = job.progress;
  $("cancel").disabled = false;
  if (job.status === "queued") {
    $("job-status").textContent = "Queued…";
    queuePosition(job);
    if (!state.queueTimer) state.queueTimer = setInterval(() => queuePosition(state.job), 2000);
  } else {
    clearInterval(state.queueTimer);
    state.queueTimer = null;
    const stage = job.stage ? job.stage.charAt(0).toUpperCase() + job.stage.slice(1) : "Working";
    $("job-status").textContent = `${stage}: ${job.progress}%`;
  }
}

function watch(job) {
  stopWatching();
  showProgress(job);
  if (["completed", "failed", "cancelled", "expired"].includes(job.status)) return finish(job);
  const events = new EventSource(`/api/v1/jobs/${encodeURIComponent(job.id)}/events`);
  state.events = events;
  events.addEventListener("progress", (event) => showProgress(JSON.parse(event.data)));
  events.addEventListener("done", (event) => {
    stopWatching();
    finish(JSON.parse(event.data));
  });
  events.addEventListener("error", async () => {
    if (events.readyState !== EventSource.CLOSED) return; // reconnecting by itself
    try {
      const latest = await get(`/api/v1/jobs/${encodeURIComponent(job.id)}`);
      if (state.job?.id === job.id) watch(latest);
    } catch (err) {
      stopWatching();
      fail(`Lost track of the job: ${err.message}`);
    }
  });
}

function fail(message) {
  showPanel("error");
  $("result-empty").hidden = false;
  const box = $("job-error");
  box.textContent = message;
  box.hidden = false;
}

function finish(job) {
  state.job = job;
  if (job.status === "completed") showResult(job);
  else if (job.status === "failed") {
    const reason = job.error ? job.error.message : "the engine stopped without saying why";
    fail(`The video could not be made: ${reason}`);
  } else if (job.status === "cancelled") fail("Cancelled. Its inputs were deleted.");
  else if (job.status === "expired") fail("This video has expired: the service copy was deleted.");
  refreshGallery();
}

// ---- the result ---------------------------------------------------------------------

function contentUrl(job, variant = "video") {
  return `/api/v1/jobs/${encodeURIComponent(job.id)}/content?variant=${variant}`;
}

function showExpiry(job) {
  const line = $("expiry");
  clearInterval(state.expiryTimer);
  if (!job.expires_at) {
    line.textContent = "The service keeps this video until you delete it.";
    return;
  }
  const end = new Date(job.expires_at).getTime();
  const tick = () => {
    const left = end - Date.now();
    if (left <= 0) {
      line.textContent = "The service copy has expired and was deleted.";
      line.classList.add("gone");
      $("download").hidden = true;
      clearInterval(state.expiryTimer);
      return;
    }
    line.classList.remove("gone");
    line.textContent = `The service copy is deleted in ${countdown(left)} (${when(job.expires_at)}).`;
  };
  tick();
  state.expiryTimer = setInterval(tick, 1000);
}

function showResult(job) {
  state.job = job;
  showPanel("result");
  const player = $("player");
  player.poster = contentUrl(job, "thumbnail");
  player.src = contentUrl(job);
  player.setAttribute(
    "aria-label",
    `${TASK_NAMES[job.task] || job.task} video${job.has_audio ? " with sound" : ""}`,
  );
  const download = $("download");
  download.href = contentUrl(job);
  download.download = `reelvault-${job.id}.mp4`;
  download.hidden = false;
  const report = $("report-link");
  report.href = `/report?job=${encodeURIComponent(job.id)}`;
  report.setAttribute("aria-label", "Report this video to the operator");
  const size = job.output_bytes ? ` · ${bytes(job.output_bytes)}` : "";
  // The player's own controls carry the volume; say whether there is anything to hear.
  const sound = job.has_audio ? " · with sound" : job.has_audio === false ? " · silent" : "";
  player.muted = false;
  $("result-meta").textContent =
    `${TASK_NAMES[job.task] || job.task} · ${job.size.replace("x", "×")} · ${job.seconds} s · ` +
    `${job.fps} fps · seed ${job.seed} · ${job.engine}${size}${sound}`;
  showExpiry(job);
  showDerive(job);
  showWords(job);
}

// The preview engine says which words it drew and which it could not (left out, nothing
// drawn in their place): from the job while its prompt is kept, else from the prompt
// this page sent. Engines that do not report words (a neural model) show nothing.
async function showWords(job) {
  const line = $("result-words");
  line.hidden = true;
  line.textContent = "";
  if (job.task !== "text_to_video") return;
  let words;
  try {
    words = await get(`/api/v1/jobs/${job.id}/words`);
  } catch (err) {
    const prompt = state.prompts.get(job.id);
    if (!(err instanceof ApiError) || err.status !== 410 || !prompt) return;
    try {
      const path = `/api/v1/engines/${encodeURIComponent(job.engine)}/words`;
      words = await request("POST", path, { json: { prompt } });
    } catch {
      return;
    }
  }
  if (state.job?.id !== job.id) return;
  const drawn = words.drawn.join(", ") || "nothing the prompt names";
  const missing = words.not_drawn.join(", ") || "none, every word was understood";
  line.textContent = `Drawn: ${drawn} · Not drawn: ${missing}`;
  line.hidden = false;
}

// ---- remix, extend, edit a finished video -----------------------------------------

const DERIVE = { remix: "remix", edit: "edit", extend: "extension" };

function showDerive(job) {
  // The job's own list: what its engine *and model* can make from it (a diffusers model
  // without a video pipeline offers no remix though its engine can remix).
  const can = job.derivations || [];
  $("derive").hidden = can.length === 0;
  for (const [button, derivation] of Object.entries(DERIVE)) $(button).hidden = !can.includes(derivation);
  $("extend-seconds").hidden = !can.includes("extension");
  $("derive-error").textContent = "";
}

async function derive(kind) {
  if (!state.job) return;
  const prompt = $("derive-prompt").value.trim();
  if (!prompt) {
    $("derive-error").textContent = "Write what the new video should change.";
    $("derive-prompt").focus();
    return;
  }
  const json = kind === "extend" ? { prompt, seconds: Number($("extend-seconds").value) } : { prompt };
  try {
    const job = await request("POST", `/api/v1/jobs/${encodeURIComponent(state.job.id)}/${kind}`, { json });
    $("derive-prompt").value = "";
    watch(job);
    refreshGallery();
  } catch (err) {
    $("derive-error").textContent = `Could not ${kind}: ${err.message}`;
  }
}

async function cancelJob() {
  if (!state.job) return;
  $("cancel").disabled = true;
  try {
    const job = await request("POST", `/api/v1/jobs/${encodeURIComponent(state.job.id)}/cancel`);
    if (["cancelled", "failed", "completed"].includes(job.status)) {
      stopWatching();
      finish(job);
    }
  } catch (err) {
    $("cancel").disabled = false;
    setError("form-error", `Could not cancel: ${err.message}`);
  }
}

async function deleteJob() {
  if (!state.job) return;
  const id = state.job.id;
  try {
    await request("DELETE", `/api/v1/jobs/${encodeURIComponent(id)}`);
    stopWatching();
    const player = $("player");
    player.removeAttribute("src");
    player.removeAttribute("poster");
    player.load();
    state.job = null;
    showPanel("empty");
    $("result-empty").querySelector("p").textContent = "Deleted: the video and its inputs were shredded.";
    refreshGallery();
  } catch (err) {
    setError("form-error", `Could not delete: ${err.message}`);
  }
}

// ---- gallery ------------------------------------------------------------------------

function tile(job) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tile";
  button.dataset.job = job.id;
  const picture = document.createElement("div");
  picture.className = "thumb";
  if (job.status === "completed") {
    const img = document.createElement("img");
    img.src = contentUrl(job, "thumbnail");
    img.alt = "";
    img.loading = "lazy";
    picture.append(img);
  } else {
    const chip = document.createElement("span");
    chip.className = `chip ${job.status}`;
    chip.textContent = job.status.replace("_", " ");
    picture.append(chip);
  }
  const caption = document.createElement("span");
  caption.className = "caption";
  const title = document.createElement("strong");
  title.textContent = TASK_NAMES[job.task] || job.task;
  const detail = document.createElement("span");
  const left = job.expires_at ? new Date(job.expires_at).getTime() - Date.now() : null;
  const expiry = left === null ? "kept until deleted" : left > 0 ? `deleted in ${countdown(left)}` : "expired";
  detail.textContent = `${job.size.replace("x", "×")} · ${job.seconds} s · ${job.status === "completed" ? expiry : job.status.replace("_", " ")}`;
  const made = document.createElement("span");
  made.className = "visually-hidden";
  made.textContent = `, made ${when(job.created_at)}`;
  caption.append(title, detail, made);
  button.append(picture, caption);
  button.addEventListener("click", () => {
    if (job.status === "completed") showResult(job);
    else watch(job);
    $("result").scrollIntoView({ behavior: "smooth", block: "start" });
    $("result-title").focus({ preventScroll: true });
  });
  item.append(button);
  return item;
}

async function refreshGallery() {
  try {
    const list = await get("/api/v1/jobs?limit=100");
    const jobs = list.data.filter((job) => job.status !== "expired");
    $("tiles").replaceChildren(...jobs.map(tile));
    $("gallery-empty").hidden = jobs.length > 0;
  } catch (err) {
    $("gallery-note").textContent = `Could not load your videos: ${err.message}`;
  }
}

// ---- start --------------------------------------------------------------------------

async function start() {
  try {
    // The account link first: on a server with keys the engines need a credential, and
    // the key panel then offers signing in instead.
    const withLink = loadConfig().then((config) => {
      showAccountLink(config);
      return config;
    });
    const [config, engines] = await Promise.all([withLink, get("/api/v1/engines")]);
    state.config = config;
    state.engines = engines.data;
  } catch (err) {
    setError("form-error", `The studio could not start: ${err.message}`);
    return;
  }
  try {
    state.consents = await loadConsents();
  } catch {
    state.consents = null;
  }
  const config = state.config;
  showPolicyBadge(config);
  consentBanner(config, state.consents);
  $("gallery-note").textContent = config.gallery_note;
  $("prompt").maxLength = config.max_prompt_chars;
  $("image").accept = config.uploads.image_types.join(",");
  $("reference_video").accept = [...config.uploads.video_types, ...config.uploads.motion_types, ".bvh"].join(",");
  $("image-help").textContent = `JPEG, PNG or WebP up to ${bytes(config.uploads.max_image_bytes)}`;
  $("video-help").textContent =
    `MP4, MOV, WebM or MKV up to ${bytes(config.uploads.max_video_bytes)}, ${config.uploads.max_video_seconds} s, or a BVH motion file`;
  $("result-title").tabIndex = -1;

  const saved = prefs.load();
  const radio = document.querySelector(`input[name="task"][value="${CSS.escape(saved.task || "")}"]`);
  if (radio) radio.checked = true;

  for (const input of document.querySelectorAll('input[name="task"]')) {
    input.addEventListener("change", applyTask);
  }
  $("engine").addEventListener("change", () => applyEngine(true));
  $("size").addEventListener("change", () => prefs.update({ size: $("size").value }));
  $("seconds").addEventListener("change", () => {
    const value = Number($("seconds").value);
    if (Number.isFinite(value) && value > 0) prefs.update({ seconds: value });
  });
  $("prompt").addEventListener("input", checkInputs);
  $("remote-consent").addEventListener("click", grantProvider);
  wireDrop("image-zone", $("image"), takeImage);
  wireDrop("video-zone", $("reference_video"), takeVideo);
  $("create-form").addEventListener("submit", generate);
  $("cancel").addEventListener("click", cancelJob);
  $("delete").addEventListener("click", deleteJob);
  for (const kind of Object.keys(DERIVE)) $(kind).addEventListener("click", () => derive(kind));
  $("derive").addEventListener("submit", (event) => {
    event.preventDefault();
    derive("remix");
  });
  $("refresh").addEventListener("click", refreshGallery);

  applyTask();
  await wireCharacters(config, applyCharacterChoice);
  await refreshGallery();
  // Countdowns in the gallery move on their own.
  state.galleryTimer = setInterval(refreshGallery, 30000);
  document.body.dataset.ready = "true";
}

wireKeyPanel();
start();

// The report form: POST /api/v1/reports with a job id and a reason (docs/moderation.md).

import { ApiError, request } from "./api.js";
import { loadConfig, showAccountLink, showPolicyBadge } from "./common.js";
import { wireKeyPanel } from "./credential.js";

const $ = (id) => document.getElementById(id);

const MESSAGES = {
  not_found: "There is no video with that id here (it may have been deleted already).",
  unauthorized: "This server needs an API key or a sign-in first (above).",
};

async function send(event) {
  event.preventDefault();
  const job = $("report-job");
  const reason = $("report-reason");
  $("report-error").textContent = "";
  $("report-status").textContent = "";
  job.removeAttribute("aria-invalid");
  reason.removeAttribute("aria-invalid");
  if (!job.value.trim()) {
    job.setAttribute("aria-invalid", "true");
    $("report-error").textContent = "Give the video's job id.";
    job.focus();
    return;
  }
  if (!reason.value) {
    reason.setAttribute("aria-invalid", "true");
    $("report-error").textContent = "Choose a reason.";
    reason.focus();
    return;
  }
  $("report-submit").disabled = true;
  try {
    const report = await request("POST", "/api/v1/reports", {
      json: { job_id: job.value.trim(), reason: reason.value },
    });
    $("report-status").textContent =
      `Thank you: report ${report.id} was sent. The operator reviews it; the video is kept ` +
      "for that review and no longer.";
    $("report-form").reset();
  } catch (error) {
    const code = error instanceof ApiError ? error.code : "";
    $("report-error").textContent = `Not sent: ${MESSAGES[code] || error.message}`;
  } finally {
    $("report-submit").disabled = false;
  }
}

async function start() {
  const wanted = new URLSearchParams(window.location.search).get("job");
  if (wanted) $("report-job").value = wanted.slice(0, 64);
  $("report-form").addEventListener("submit", send);
  try {
    const config = await loadConfig();
    showPolicyBadge(config);
    showAccountLink(config);
  } catch {
    // The form works without the badge.
  }
  document.body.dataset.ready = "true";
}

wireKeyPanel();
start();

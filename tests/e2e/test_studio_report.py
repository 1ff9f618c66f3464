"""Reporting a video from the studio: the result's Report link opens the form with the
video filled in, the form posts to ``POST /api/v1/reports``, and the operator sees it."""

from __future__ import annotations

from typing import Any

from reelvault.privacy.abuse_reports import list_reports
from tests.e2e.conftest import LiveServer, open_studio, run_axe
from tests.e2e.helpers import make_text_video


def test_a_finished_video_can_be_reported_from_the_studio(
    page: Any, live_server: LiveServer
) -> None:
    open_studio(page)
    job = make_text_video(page, "a paper boat drifting down a gutter in the rain")["job"]
    link = page.get_by_role("link", name="Report this video to the operator")
    assert link.get_attribute("href") == f"/report?job={job['id']}"
    link.click()
    page.wait_for_selector("body[data-ready=true]", timeout=15000)
    # Labelled controls: found by their labels, as a screen reader would.
    assert page.get_by_label("Video (its job id)").input_value() == job["id"]
    page.get_by_label("Reason", exact=True).select_option("likeness")
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_function("() => document.getElementById('report-status').textContent !== ''")
    status = page.inner_text("#report-status")
    assert status.startswith("Thank you: report ") and page.inner_text("#report-error") == ""
    reports = [r for r in list_reports(live_server.runtime) if r.job_id == job["id"]]
    assert [(r.reason, r.status) for r in reports] == [("likeness", "open")]
    assert reports[0].id in status
    assert run_axe(page) == []


def test_the_form_says_what_is_missing_or_wrong(page: Any, live_server: LiveServer) -> None:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto("/report")
    page.wait_for_selector("body[data-ready=true]", timeout=15000)
    page.get_by_role("button", name="Send the report").click()
    assert page.inner_text("#report-error") == "Give the video's job id."
    assert page.get_attribute("#report-job", "aria-invalid") == "true"
    page.get_by_label("Video (its job id)").fill("job_doesnotexist")
    page.get_by_role("button", name="Send the report").click()
    assert page.inner_text("#report-error") == "Choose a reason."
    assert not [url for url in posts if url.endswith("/api/v1/reports")]
    page.get_by_label("Reason", exact=True).select_option("violence")
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_function("() => document.getElementById('report-error').textContent !== ''")
    assert "no video with that id" in page.inner_text("#report-error")
    assert run_axe(page) == []

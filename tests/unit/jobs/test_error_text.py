"""A job's stored error message quotes none of the job's own words."""

from __future__ import annotations

from reelvault.jobs.error_text import TEXT_PLACEHOLDER, without_client_text


def test_the_jobs_texts_are_replaced_in_any_case_longest_first() -> None:
    message = "fal.ai rejected the request (HTTP 422): Value error, A RED TRAM at night is banned"
    cleaned = without_client_text(message, ["a red tram at night", "red tram", "ok"])
    assert (
        cleaned
        == f"fal.ai rejected the request (HTTP 422): Value error, {TEXT_PLACEHOLDER} is banned"
    )
    # Short texts would blank out the message's own words; no message stays none.
    assert without_client_text("ok then", ["ok"]) == "ok then"
    assert without_client_text(None, ["a red tram"]) is None

"""The Lighthouse part of the benchmark: what is kept of a report, and its README table."""

from bench import lighthouse, report


def audit(audit_id: str, score: float | None, value: float = 0.0) -> dict:
    return {"id": audit_id, "score": score, "numericValue": value}


# The parts of a Lighthouse report (JSON output) that the summary reads.
REPORT = {
    "lighthouseVersion": "12.2.3",
    "configSettings": {"formFactor": "mobile"},
    "runWarnings": [],
    "categories": {
        "performance": {
            "score": 0.914,
            "auditRefs": [
                {"id": "total-blocking-time", "weight": 30},
                {"id": "cumulative-layout-shift", "weight": 25},
                {"id": "largest-contentful-paint", "weight": 25},
            ],
        },
        "accessibility": {"score": 1.0, "auditRefs": [{"id": "color-contrast", "weight": 7}]},
        "best-practices": {
            "score": 0.96,
            "auditRefs": [
                {"id": "deprecations", "weight": 5},
                {"id": "errors-in-console", "weight": 1},
                {"id": "valid-source-maps", "weight": 0},
            ],
        },
    },
    "audits": {
        item["id"]: item
        for item in (
            audit("total-blocking-time", 0.62, 412.3),
            audit("cumulative-layout-shift", 1, 0.0),
            audit("largest-contentful-paint", 0.97, 1830.0),
            audit("color-contrast", 1),
            audit("deprecations", 0),
            audit("errors-in-console", None),  # not applicable: no score
            audit("valid-source-maps", 0),  # weight 0: does not count
        )
    },
}


def test_the_summary_keeps_scores_metrics_and_what_failed():
    summary = lighthouse.summarize(REPORT)
    assert summary["scores"] == {"performance": 91, "accessibility": 100, "best-practices": 96}
    assert (summary["tbt_ms"], summary["cls"], summary["lcp_ms"]) == (412.3, 0.0, 1830.0)
    assert summary["failed"] == {
        "performance": ["largest-contentful-paint", "total-blocking-time"],
        "accessibility": [],
        "best-practices": ["deprecations"],
    }
    assert summary["runtime_error"] is None


def test_the_readme_table_shows_the_scores_and_the_failed_audits():
    text = "\n".join(report._lighthouse(lighthouse.summarize(REPORT)))
    assert "| 91 | 100 | 96 | 412 ms | 0.000 | 1,830 ms |" in text
    assert "best-practices: deprecations" in text
    assert "Lighthouse 12.2.3" in text and "mobile" in text
    assert "error" not in text


def test_a_run_that_hit_an_error_says_so():
    timed_out = {**REPORT, "runtimeError": {"code": "PROTOCOL_TIMEOUT", "message": "Timed out."}}
    text = "\n".join(report._lighthouse(lighthouse.summarize(timed_out)))
    assert "ended with an error" in text and "Timed out." in text

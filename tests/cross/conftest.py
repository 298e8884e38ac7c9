"""Cross-app suites: the fuzzing summary printed at the end of the run."""

from __future__ import annotations

from collections import Counter

FUZZ_RESULTS: dict[str, Counter[int]] = {}


def pytest_runtest_logreport(report):
    """Collects the per-operation case counts recorded by tests/cross/test_api_fuzz.py (also from xdist workers,
    whose reports carry user_properties to the controller)."""
    if report.when != "teardown":
        return
    for name, value in report.user_properties:
        if name == "fuzz_cases":
            label, statuses = value
            FUZZ_RESULTS.setdefault(label, Counter()).update({int(k): v for k, v in statuses.items()})


def pytest_terminal_summary(terminalreporter):
    if not FUZZ_RESULTS or hasattr(terminalreporter.config, "workerinput"):
        return
    terminalreporter.section("API fuzzing (schemathesis)")
    for label in sorted(FUZZ_RESULTS):
        statuses = FUZZ_RESULTS[label]
        answers = ", ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))
        terminalreporter.write_line(f"{label}: {sum(statuses.values())} cases ({answers})")
    total = sum(sum(s.values()) for s in FUZZ_RESULTS.values())
    terminalreporter.write_line(f"total: {total} cases over {len(FUZZ_RESULTS)} operations")

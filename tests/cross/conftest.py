"""Cross-app suites: unique ids for the fuzzing items, and the fuzzing summary printed at the end of the run."""

from __future__ import annotations

from collections import Counter

FUZZ_RESULTS: dict[str, Counter[int]] = {}


def pytest_collection_modifyitems(items):
    """Under pytest 9, schemathesis 4's parametrize gives all its items ONE node id (`test_x`, not
    `test_x[GET /path]`: pytest now builds ids from `originalname` and a callspec, which these items lack).
    xdist's `--dist loadfile` (make test) keys items by node id, so 70 of the 71 fuzzed operations silently
    never ran in the suite. Each item gets the operation its name already carries as the id's params."""
    for item in items:
        if type(item).__name__ != "SchemathesisFunction" or item.nodeid.endswith("]"):
            continue
        operation = item.name.removeprefix(item.originalname).removeprefix("[").removesuffix("]")
        if operation:
            item._id = item.id.with_params(operation)


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

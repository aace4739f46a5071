"""Judge an Odoo test log: fail on any failed, erroring or skipped test, on
ERROR/CRITICAL lines, on WARNING lines of this addon or about it, and on too
few tests.

    python tools/check_test_log.py LOG [--min-tests N]
"""

import argparse
import re
import sys

SUMMARY = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests")
SKIPPED = re.compile(r" INFO \S+ odoo\.addons\.\S+: skipped ")
LEVEL = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL|WARNING) \S+ (\S+):")
# warnings that the test framework itself logs on purpose
ALLOWED_WARNINGS = (re.compile(r"odoo\.addons\.base\.models\.ir_attachment"),)


def judge(lines, min_tests):
    problems = []
    failed = errors = total = 0
    summaries = 0
    for line in lines:
        if match := SUMMARY.search(line):
            summaries += 1
            failed += int(match[1])
            errors += int(match[2])
            total += int(match[3])
        if SKIPPED.search(line):
            problems.append(f"skipped test: {line.strip()}")
        if match := LEVEL.match(line):
            level, logger = match.groups()
            if level in ("ERROR", "CRITICAL") and "odoo.tests.result" not in logger:
                problems.append(f"{level} line: {line.strip()}")
            elif (
                level == "WARNING"
                and (
                    logger.startswith("odoo.addons.customer_abc")
                    or logger == "py.warnings"
                    # Odoo's own loggers about the addon (e.g. a deprecated API or attribute it uses)
                    or "customer_abc" in line.partition(f"{logger}:")[2]
                    or "customer.abc" in line.partition(f"{logger}:")[2]
                )
                and not any(allowed.search(line) for allowed in ALLOWED_WARNINGS)
            ):
                problems.append(f"warning: {line.strip()}")
    if not summaries:
        problems.append("no test summary in the log: Odoo did not run the tests")
    if failed or errors:
        problems.append(f"{failed} failed, {errors} error(s)")
    if total < min_tests:
        problems.append(f"only {total} tests ran, expected at least {min_tests}")
    return total, problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--min-tests", type=int, default=1)
    args = parser.parse_args()
    with open(args.log, encoding="utf-8", errors="replace") as handle:
        total, problems = judge(handle, args.min_tests)
    for problem in problems:
        print(f"test log: {problem}")
    if problems:
        sys.exit(1)
    print(f"test log: {total} tests, 0 failed, 0 errors, 0 skipped")


if __name__ == "__main__":
    main()

"""Run the official Python MNS SDK (aliyun-mns-sdk) against MNS_ENDPOINT; exit non-zero on any failure.

Environment: MNS_ENDPOINT (e.g. http://127.0.0.1:8080), MNS_ACCESS_KEY_ID, MNS_ACCESS_KEY_SECRET.
Add a family of cases by writing a module of `@harness.case` functions and listing it below.
"""

import importlib
import sys
import warnings

import harness

# Modules whose cases run, in this order.
CASE_MODULES = [
    "queue_cases",
    "topic_cases",
]


def main():
    # The SDK marks the queue counters deprecated and warns on every access.
    warnings.simplefilter("ignore", DeprecationWarning)
    for name in CASE_MODULES:
        importlib.import_module(name)
    return harness.run_all()


if __name__ == "__main__":
    sys.exit(main())

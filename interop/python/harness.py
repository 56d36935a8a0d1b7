"""A small test harness for running the official Python MNS SDK against an endpoint.

Cases are plain functions taking a `Context`, registered with `@case("name")` in a module
listed in `run_sdk_tests.CASE_MODULES`. Each case creates its own uniquely named resources
through the context (which deletes them at the end), so cases do not depend on each other
and one failure does not hide the others.
"""

import hashlib
import os
import sys
import time
import traceback

from mns.account import Account
from mns.mns_exception import MNSServerException

# (module, name, function) in registration order.
_CASES = []


def case(name):
    """Register a test case under `name` (cases run in registration order)."""

    def register(func):
        _CASES.append((func.__module__, name, func))
        return func

    return register


class CheckFailed(AssertionError):
    """An expectation in a case did not hold."""


def check(condition, message):
    """Fail the current case with `message` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)


def check_eq(actual, expected, what):
    """Fail the current case unless `actual == expected`."""
    if actual != expected:
        raise CheckFailed("%s: expected %r, got %r" % (what, expected, actual))


def expect_error(code, func, *args, **kwargs):
    """Call `func` and require that it raises an MNS service error with error code `code`.

    `code` may be a string or a tuple of acceptable codes. Returns the exception.
    """
    codes = code if isinstance(code, tuple) else (code,)
    try:
        result = func(*args, **kwargs)
    except MNSServerException as err:
        if err.type not in codes:
            raise CheckFailed(
                "expected error %s, got %s (%s)" % ("/".join(codes), err.type, err.message)
            )
        check(err.request_id, "error %s carries no RequestId" % err.type)
        return err
    raise CheckFailed("expected error %s, but the call succeeded: %r" % ("/".join(codes), result))


def md5_upper(text):
    """Upper-case hex MD5 of the UTF-8 encoding of `text` (how MNS reports MessageBodyMD5)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    return hashlib.md5(text).hexdigest().upper()


class Context:
    """What a case gets: endpoint, credentials, account factory and unique resource names."""

    def __init__(self):
        self.endpoint = os.environ["MNS_ENDPOINT"]
        self.access_key_id = os.environ.get("MNS_ACCESS_KEY_ID", "testid")
        self.access_key_secret = os.environ.get("MNS_ACCESS_KEY_SECRET", "testsecret")
        self.run_id = "%x%x" % (os.getpid(), int(time.time()) % 0xFFFF)
        self._counter = 0
        self.account = self.new_account()
        self._cleanups = []

    def new_account(self, access_key_id=None, access_key_secret=None, security_token=""):
        """A new Account (one keep-alive connection each; the SDK is not thread-safe)."""
        return Account(
            self.endpoint,
            self.access_key_id if access_key_id is None else access_key_id,
            self.access_key_secret if access_key_secret is None else access_key_secret,
            security_token,
        )

    def unique_name(self, stem):
        """A resource name unique to this run: `<stem>-<run id>-<n>` (valid queue/topic name)."""
        self._counter += 1
        return "%s-%s-%d" % (stem, self.run_id, self._counter)

    def add_cleanup(self, func, *args):
        """Run `func(*args)` after the case, ignoring errors (loose cleanup)."""
        self._cleanups.append((func, args))

    def run_cleanups(self):
        while self._cleanups:
            func, args = self._cleanups.pop()
            try:
                func(*args)
            except Exception:  # noqa: BLE001 - cleanup is best effort
                pass

    def new_queue(self, stem="py-q", meta=None):
        """Create a uniquely named queue (deleted after the case) and return its Queue object."""
        from mns.queue import QueueMeta

        name = self.unique_name(stem)
        queue = self.account.get_queue(name)
        queue.create(meta if meta is not None else QueueMeta())
        self.add_cleanup(queue.delete)
        return queue


def run_all():
    """Run every registered case, print one line per case and the closing tally; return exit code."""
    passed = 0
    failed = 0
    ctx = Context()
    print("official Python SDK (aliyun-mns-sdk) against %s" % ctx.endpoint)
    for module, name, func in _CASES:
        started = time.monotonic()
        try:
            func(ctx)
        except Exception as err:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print("FAIL %s::%s (%.2fs): %s" % (module, name, time.monotonic() - started, err))
            if not isinstance(err, CheckFailed):
                traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print("ok   %s::%s (%.2fs)" % (module, name, time.monotonic() - started))
        finally:
            ctx.run_cleanups()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1

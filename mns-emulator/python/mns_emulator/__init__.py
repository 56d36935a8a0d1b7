"""Start, use and stop the bundled ``mns-emulator`` server from Python.

The wheel installs the ``mns-emulator`` binary (a local emulator of Alibaba Cloud Message
Service, MNS) next to the Python interpreter's scripts. :class:`Emulator` starts it on a free
loopback port, waits until it answers HTTP, and stops it::

    from mns_emulator import Emulator

    with Emulator() as emu:
        print(emu.endpoint, emu.access_key_id, emu.access_key_secret)

The pytest plugin (:mod:`mns_emulator.pytest_plugin`, registered automatically) offers the same
as the ``mns_emulator`` and ``mns_emulator_factory`` fixtures.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.request

__all__ = [
    "DEFAULT_ACCESS_KEY_ID",
    "DEFAULT_ACCESS_KEY_SECRET",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION",
    "Emulator",
    "EmulatorError",
    "find_binary",
]

#: Account id the emulator reports unless told otherwise.
DEFAULT_ACCOUNT_ID = "1234567890123456"
#: Region the emulator reports unless told otherwise.
DEFAULT_REGION = "cn-hangzhou"
#: Access key id accepted unless told otherwise.
DEFAULT_ACCESS_KEY_ID = "testid"
#: Access key secret accepted unless told otherwise (a public test value, not a secret).
DEFAULT_ACCESS_KEY_SECRET = "testsecret"

#: Environment variable naming a binary to run instead of the bundled one.
BINARY_ENV = "MNS_EMULATOR_BIN"

_BINARY_NAME = "mns-emulator" + (".exe" if sys.platform == "win32" else "")
_LISTENING_PREFIX = "mns-emulator listening on "
_ADMIN_FAULTS_PATH = "/__emulator/faults"


class EmulatorError(RuntimeError):
    """The emulator could not be found, did not start, or refused an admin request."""


def find_binary():
    """Return the path of the ``mns-emulator`` binary to run.

    ``$MNS_EMULATOR_BIN`` if set; else the binary this wheel installed into the interpreter's
    scripts directory; else ``mns-emulator`` on ``PATH``.
    """
    override = os.environ.get(BINARY_ENV)
    if override:
        return override
    candidates = [os.path.join(sysconfig.get_path("scripts"), _BINARY_NAME)]
    user_scheme = "nt_user" if os.name == "nt" else "posix_user"
    try:
        candidates.append(os.path.join(sysconfig.get_path("scripts", user_scheme), _BINARY_NAME))
    except KeyError:
        pass
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which(_BINARY_NAME)
    if found:
        return found
    raise EmulatorError(
        "cannot find the mns-emulator binary (looked in %s and on PATH); reinstall the "
        "mns-emulator package or set %s" % (", ".join(candidates), BINARY_ENV)
    )


class Emulator:
    """One ``mns-emulator`` process on a free loopback port.

    Attributes, once started: ``endpoint`` (``http://127.0.0.1:<port>``), ``access_key_id``,
    ``access_key_secret``, ``account_id``, ``region``, ``port`` and ``process``.

    :param account_id: the account id the emulator reports.
    :param region: the region it reports (and checks in V4 signatures).
    :param access_key_id: the access key id it accepts.
    :param access_key_secret: the matching secret.
    :param admin: serve the unauthenticated admin API (``/__emulator/...``: reset, clock,
        message inspection, logs, faults, dashboard).
    :param extra_args: further ``mns-emulator`` flags (see ``mns-emulator --help``).
    :param startup_timeout: seconds to wait for the emulator to answer.
    :param binary: the binary to run (default: :func:`find_binary`).
    """

    def __init__(
        self,
        account_id=DEFAULT_ACCOUNT_ID,
        region=DEFAULT_REGION,
        access_key_id=DEFAULT_ACCESS_KEY_ID,
        access_key_secret=DEFAULT_ACCESS_KEY_SECRET,
        admin=False,
        extra_args=(),
        startup_timeout=30.0,
        binary=None,
    ):
        if not access_key_id or not access_key_secret or ":" in access_key_id:
            raise ValueError("access_key_id (without ':') and access_key_secret must be non-empty")
        self.account_id = account_id
        self.region = region
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.admin = admin
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.binary = binary
        self.process = None
        self.endpoint = None
        self.port = None
        self._output = []

    def __repr__(self):
        # The secret is a test value, but keep the habit of never printing one.
        return "Emulator(endpoint=%r, account_id=%r, region=%r, access_key_id=%r)" % (
            self.endpoint,
            self.account_id,
            self.region,
            self.access_key_id,
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self):
        """Start the process and return ``self`` once it answers HTTP."""
        if self.process is not None:
            raise EmulatorError("already started")
        args = [
            self.binary or find_binary(),
            "--bind",
            "127.0.0.1:0",
            "--account-id",
            self.account_id,
            "--region",
            self.region,
            "--access-key",
            "%s:%s" % (self.access_key_id, self.access_key_secret),
            "--log-level",
            "warn",
        ]
        if self.admin:
            args.append("--admin")
        args.extend(self.extra_args)
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        try:
            self.endpoint = self._read_endpoint()
            self.port = int(self.endpoint.rsplit(":", 1)[1])
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_endpoint(self):
        """Read stdout until the ``listening on`` line; keep draining it afterwards."""
        found = {}
        ready = threading.Event()

        def pump():
            for line in self.process.stdout:
                line = line.rstrip("\n")
                if not ready.is_set() and line.startswith(_LISTENING_PREFIX):
                    found["endpoint"] = line[len(_LISTENING_PREFIX):].strip()
                    ready.set()
                elif len(self._output) < 200:
                    self._output.append(line)
            ready.set()

        threading.Thread(target=pump, name="mns-emulator-stdout", daemon=True).start()
        if not ready.wait(self.startup_timeout) or "endpoint" not in found:
            raise EmulatorError(
                "mns-emulator did not report its endpoint within %.0f s (exit status %r); "
                "output:\n%s" % (self.startup_timeout, self.process.poll(), "\n".join(self._output))
            )
        return found["endpoint"]

    def _wait_until_answering(self):
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise EmulatorError(
                    "mns-emulator exited with status %s; output:\n%s"
                    % (self.process.returncode, "\n".join(self._output))
                )
            try:
                urllib.request.urlopen(self.endpoint + "/queues", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return  # An unsigned request gets an MNS <Error>: it answers.
            except OSError:
                if time.monotonic() > deadline:
                    raise EmulatorError(
                        "mns-emulator did not answer at %s within %.0f s"
                        % (self.endpoint, self.startup_timeout)
                    )
                time.sleep(0.05)

    def stop(self, timeout=10.0):
        """Stop the process: SIGTERM, then a kill after ``timeout`` seconds. Idempotent."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                process.terminate()  # SIGTERM: the emulator shuts down gracefully
                process.wait(timeout)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ------------------------------------------------------------------ admin API

    def admin_request(self, method, path, body=None):
        """One call to the admin API (``Emulator(admin=True)``): ``path`` under the endpoint,
        e.g. ``/__emulator/queues``; ``body`` a dict sent as JSON. Returns the decoded JSON
        answer (``None`` for an empty one); a refusal raises :class:`EmulatorError` with the
        emulator's reason. The API is described at ``/__emulator/openapi.json``."""
        if not self.admin:
            raise EmulatorError("the admin API is off: start with Emulator(admin=True)")
        if self.endpoint is None:
            raise EmulatorError("not started")
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            raise EmulatorError(
                "%s %s: %s %s" % (method, path, err.code, err.read().decode("utf-8"))
            )
        return json.loads(text) if text.strip() else None

    def _admin(self, method, body=None):
        return self.admin_request(method, _ADMIN_FAULTS_PATH, body)

    def clock(self):
        """The emulator's clock: ``{"mode": "virtual"|"system", "now_ms": ..., "now": ...}``."""
        return self.admin_request("GET", "/__emulator/clock")

    def advance_clock(self, seconds):
        """Move a virtual clock (``extra_args=["--clock", "virtual"]``) forward; returns it."""
        return self.admin_request("POST", "/__emulator/clock/advance", {"seconds": seconds})

    def reset(self, queue=None, topic=None):
        """Reset everything, or empty one queue (settings kept) or one topic."""
        body = {}
        if queue is not None:
            body["queue"] = queue
        if topic is not None:
            body["topic"] = topic
        return self.admin_request("POST", "/__emulator/reset", body)

    def queue_messages(self, queue):
        """Every message of ``queue`` in every state (``visible``, ``in_flight`` with its
        ``receipt_handle`` and ``next_visible_time_ms``, ``delayed``), without side effects."""
        return self.admin_request("GET", "/__emulator/queues/%s/messages" % queue)["messages"]

    def set_faults(self, plan):
        """Inject faults from now on: ``plan`` is the emulator's JSON fault plan as a dict, e.g.
        ``{"seed": 7, "rules": [{"operation": "SendMessage", "probability": 0.2,
        "fault": {"kind": "error", "status": 500, "code": "InternalError"}}]}``."""
        return self._admin("POST", plan)

    def faults(self):
        """The current fault plan with how often each rule fired."""
        return self._admin("GET")

    def clear_faults(self):
        """Stop injecting faults."""
        return self._admin("DELETE")

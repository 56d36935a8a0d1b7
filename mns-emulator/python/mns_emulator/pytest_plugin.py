"""pytest fixtures for the MNS emulator, registered through the ``pytest11`` entry point.

* ``mns_emulator``: one :class:`~mns_emulator.Emulator` for the whole test session, started on
  first use. Its ``endpoint``, ``access_key_id``, ``access_key_secret``, ``account_id`` and
  ``region`` configure any MNS SDK. Tests share its state: give queues and topics unique names.
* ``mns_emulator_factory``: a function taking :class:`~mns_emulator.Emulator`'s arguments and
  returning a started emulator of the test's own, stopped when the test ends (e.g.
  ``mns_emulator_factory(admin=True)`` for fault injection).
"""

import pytest

from mns_emulator import Emulator


@pytest.fixture(scope="session")
def mns_emulator():
    """A running MNS emulator shared by the test session."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def mns_emulator_factory():
    """Start emulators of the test's own: ``mns_emulator_factory(**emulator_kwargs)``."""
    started = []

    def start(**kwargs):
        emulator = Emulator(**kwargs).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()

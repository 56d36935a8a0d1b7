"""The wheel's pytest plugin, through the official Python SDK (aliyun-mns-sdk).

Run from a virtualenv where the wheel, ``aliyun-mns-sdk==1.3.0`` and pytest are installed and
no conftest registers anything: the fixtures must come from the ``pytest11`` entry point.
"""

import urllib.request
import uuid

import pytest
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message, QueueMeta

import mns_emulator as package  # the fixture is named mns_emulator too


def unique(stem):
    return "%s-%s" % (stem, uuid.uuid4().hex[:12])


def account_for(emu):
    return Account(emu.endpoint, emu.access_key_id, emu.access_key_secret)


def test_fixture_describes_a_running_emulator(mns_emulator):
    assert mns_emulator.endpoint.startswith("http://127.0.0.1:")
    assert mns_emulator.port > 0
    assert mns_emulator.account_id == package.DEFAULT_ACCOUNT_ID
    assert mns_emulator.region == "cn-hangzhou"
    assert (mns_emulator.access_key_id, mns_emulator.access_key_secret) == ("testid", "testsecret")
    assert "testsecret" not in repr(mns_emulator)


def test_queue_round_trip_through_the_official_sdk(mns_emulator):
    queue = account_for(mns_emulator).get_queue(unique("py-fixture"))
    queue.create(QueueMeta())
    try:
        queue.send_message(Message("order #1"))
        got = queue.receive_message_with_str_body(1)
        assert got.message_body == "order #1"
        assert got.dequeue_count == 1
        queue.delete_message(got.receipt_handle)
        with pytest.raises(MNSServerException) as err:
            queue.receive_message(0)
        assert err.value.type == "MessageNotExist"
    finally:
        queue.delete()


def test_a_wrong_secret_is_refused(mns_emulator):
    account = Account(mns_emulator.endpoint, mns_emulator.access_key_id, "not-the-secret")
    with pytest.raises(MNSServerException) as err:
        account.get_queue(unique("py-denied")).create(QueueMeta())
    assert err.value.type == "SignatureDoesNotMatch"


def test_factory_gives_an_emulator_of_its_own_with_faults(mns_emulator_factory, mns_emulator):
    emu = mns_emulator_factory(admin=True, access_key_id="ak", access_key_secret="sk",
                               region="cn-shanghai")
    assert emu.endpoint != mns_emulator.endpoint
    queue = account_for(emu).get_queue(unique("py-faults"))
    queue.create(QueueMeta())
    queue.send_message(Message("kept"))
    # ReceiveMessage has no request body, so the SDK's kept-alive connection stays usable.
    emu.set_faults({"seed": 1, "rules": [{"operation": "ReceiveMessage", "times": 1,
                    "fault": {"kind": "error", "status": 500, "code": "InternalError"}}]})
    with pytest.raises(MNSServerException) as err:
        queue.receive_message(1)
    assert err.value.type == "InternalError"
    assert emu.faults()["fired"] == [1]
    # The injected error changed nothing: the message is still there.
    assert queue.receive_message_with_str_body(1).message_body == "kept"
    emu.clear_faults()


def test_stop_is_idempotent_and_frees_the_port():
    emu = package.Emulator().start()
    endpoint = emu.endpoint
    emu.stop()
    emu.stop()
    assert emu.process is None
    with pytest.raises(OSError):
        urllib.request.urlopen(endpoint + "/queues", timeout=2)

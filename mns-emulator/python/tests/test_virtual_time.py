"""A visibility-timeout scenario on the standalone emulator in virtual time, with no sleeping.

Only the official Python SDK (aliyun-mns-sdk) and plain HTTP calls to the emulator's admin API
(``/__emulator/...``, JSON): the emulator runs with ``--admin --clock virtual``, so its clock
moves only when the test advances it.
"""

import json
import urllib.error
import urllib.request
import uuid

import pytest
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message, QueueMeta


def admin(emu, method, path, body=None):
    """One admin API call: returns (status, decoded JSON or None)."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(emu.endpoint + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode("utf-8")
    return status, (json.loads(text) if text.strip() else None)


@pytest.fixture
def virtual_emulator(mns_emulator_factory):
    return mns_emulator_factory(admin=True, extra_args=["--clock", "virtual"])


def messages_of(emu, queue_name):
    status, listing = admin(emu, "GET", "/__emulator/queues/%s/messages" % queue_name)
    assert status == 200, listing
    return listing["messages"]


def test_a_received_message_comes_back_after_its_visibility_timeout(virtual_emulator):
    emu = virtual_emulator
    status, clock = admin(emu, "GET", "/__emulator/clock")
    assert status == 200 and clock["mode"] == "virtual"
    start_ms = clock["now_ms"]

    account = Account(emu.endpoint, emu.access_key_id, emu.access_key_secret)
    queue = account.get_queue("vt-%s" % uuid.uuid4().hex[:12])
    meta = QueueMeta()
    meta.set_visibilitytimeout(30)
    queue.create(meta)
    queue.send_message(Message("order #7"))

    first = queue.receive_message_with_str_body(0)
    assert first.message_body == "order #7"
    assert first.dequeue_count == 1
    # In flight: not receivable, but the admin API shows it with its handle and due time.
    with pytest.raises(MNSServerException) as err:
        queue.receive_message(0)
    assert err.value.type == "MessageNotExist"
    [stored] = messages_of(emu, queue.queue_name)
    assert stored["state"] == "in_flight"
    assert stored["receipt_handle"] == first.receipt_handle
    assert stored["next_visible_time_ms"] == start_ms + 30000

    # 29.999 s later it is still in flight ...
    status, clock = admin(emu, "POST", "/__emulator/clock/advance", {"ms": 29999})
    assert status == 200 and clock["now_ms"] == start_ms + 29999
    with pytest.raises(MNSServerException) as err:
        queue.receive_message(0)
    assert err.value.type == "MessageNotExist"

    # ... and one millisecond later it is back, with a new handle.
    admin(emu, "POST", "/__emulator/clock/advance", {"ms": 1})
    [stored] = messages_of(emu, queue.queue_name)
    assert stored["state"] == "visible"
    again = queue.receive_message_with_str_body(0)
    assert again.message_id == first.message_id
    assert again.dequeue_count == 2
    assert again.receipt_handle != first.receipt_handle

    # The first handle is stale; the new one deletes it.
    with pytest.raises(MNSServerException):
        queue.delete_message(first.receipt_handle)
    queue.delete_message(again.receipt_handle)
    assert messages_of(emu, queue.queue_name) == []

    # The request log saw it all, under the access key id and never the secret.
    status, log = admin(emu, "GET", "/__emulator/requests?limit=1000")
    assert status == 200
    operations = [r["operation"] for r in log["requests"]]
    assert operations.count("ReceiveMessage") == 4
    # (The one unsigned request is the start-up probe, GET /queues.)
    signed = [r for r in log["requests"] if r["operation"] != "ListQueue"]
    assert {r["access_key_id"] for r in signed} == {emu.access_key_id}
    assert emu.access_key_secret not in json.dumps(log)


def test_reset_between_tests_and_bad_input(virtual_emulator):
    emu = virtual_emulator
    account = Account(emu.endpoint, emu.access_key_id, emu.access_key_secret)
    queue = account.get_queue("reset-%s" % uuid.uuid4().hex[:12])
    queue.create(QueueMeta())
    queue.send_message(Message("left over"))

    status, answer = admin(emu, "POST", "/__emulator/clock/advance", {"minutes": 1})
    assert status == 400 and "minutes" in answer["error"]
    status, answer = admin(emu, "GET", "/__emulator/no-such-thing")
    assert status == 404 and "unknown admin route" in answer["error"]

    status, _ = admin(emu, "POST", "/__emulator/reset", {"queue": queue.queue_name})
    assert status == 200
    assert messages_of(emu, queue.queue_name) == []
    status, _ = admin(emu, "POST", "/__emulator/reset", {})
    assert status == 200
    status, listing = admin(emu, "GET", "/__emulator/queues")
    assert listing["queues"] == []

"""Cross-SDK interop of message properties (issue 13): the official Python SDK and mns-client
exchange one canonical message through the emulator, each way.

    properties_interop.py send QUEUE    # send the canonical message (creating QUEUE)
    properties_interop.py check QUEUE   # receive the next message, exit 1 unless it is canonical

The canonical message is the one `cargo run --example message_properties -- send|check` uses:
raw body, one user property of each type, the three trace-context system properties and a
MessageGroupId. Environment: MNS_ENDPOINT, MNS_ACCESS_KEY_ID, MNS_ACCESS_KEY_SECRET.
"""

import os
import sys

from mns.account import Account
from mns.message_property import (
    MessagePropertyValue,
    MessageSystemPropertyValue,
    PropertyType,
    SystemPropertyType,
)
from mns.queue import Message, QueueMeta

BODY = "interop: every property type"
GROUP = "g-interop"
USER = {
    "city": (PropertyType.STRING, "hang&zhou <x>"),
    "count": (PropertyType.NUMBER, "42"),
    "urgent": (PropertyType.BOOLEAN, "true"),
    "blob": (PropertyType.BINARY, b"\x00\xff<\x07"),
}
SYSTEM = {
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "tracestate": "rojo=00f067aa0ba902b7",
    "baggage": "userId=alice",
}


def queue(name):
    account = Account(
        os.environ["MNS_ENDPOINT"],
        os.environ.get("MNS_ACCESS_KEY_ID", "testid"),
        os.environ.get("MNS_ACCESS_KEY_SECRET", "testsecret"),
    )
    q = account.get_queue(name)
    q.set_encoding(False)
    return q


def send(name):
    q = queue(name)
    q.create(QueueMeta())
    msg = Message(BODY, message_group_id=GROUP)
    for key, (kind, value) in USER.items():
        msg.add_user_property(key, MessagePropertyValue(kind, value))
    for key, value in SYSTEM.items():
        msg.add_system_property(
            key, MessageSystemPropertyValue(SystemPropertyType.STRING, value)
        )
    sent = q.send_message(msg)
    print("python sent %s (group %s)" % (sent.message_id, sent.message_group_id))


def check(name):
    q = queue(name)
    msg = q.receive_message(5)
    problems = []
    if msg.message_body != BODY:
        problems.append("body %r" % msg.message_body)
    if msg.message_group_id != GROUP:
        problems.append("group %r" % msg.message_group_id)
    got_user = msg.get_user_properties()
    if sorted(got_user) != sorted(USER):
        problems.append("user property names %r" % sorted(got_user))
    for key, (kind, value) in USER.items():
        prop = got_user.get(key)
        if prop is None or prop.get_data_type() != kind or prop.get_raw_value() != value:
            problems.append(
                "user property %s: %r" % (key, prop and (prop.get_data_type(), prop.get_raw_value()))
            )
    got_system = msg.get_system_properties()
    for key, value in SYSTEM.items():
        prop = got_system.get(key)
        if prop is None or prop.get_string_value_by_type() != value:
            problems.append("system property %s: %r" % (key, prop and prop.get_string_value_by_type()))
    if problems:
        print("python check failed: " + "; ".join(problems))
        return 1
    q.delete_message(msg.receipt_handle)
    print(
        "python received %s: body, %d user and %d system properties and the group as sent"
        % (msg.message_id, len(got_user), len(got_system))
    )
    return 0


if __name__ == "__main__":
    mode, name = sys.argv[1], sys.argv[2]
    if mode == "send":
        send(name)
        sys.exit(0)
    sys.exit(check(name))

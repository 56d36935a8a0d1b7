"""Queue lifecycle through the official Python SDK: every queue and message operation it has."""

import base64
import threading
import time

from mns.mns_exception import MNSServerException
from mns.mns_request import CreateQueueRequest, CreateQueueResponse
from mns.queue import Message, QueueMeta

from harness import case, check, check_eq, expect_error, md5_upper

# Queue attributes used where a case needs non-default, recognisable values.
VIS, MAX_SIZE, RETENTION = 45, 2048, 3600

# Codes a stale or unknown-but-well-formed receipt handle may get (the service documents both).
STALE_HANDLE_CODES = ("MessageNotExist", "ReceiptHandleError")


def _meta():
    return QueueMeta(
        vis_timeout=VIS,
        max_msg_size=MAX_SIZE,
        msg_ttl=RETENTION,
        delay_sec=0,
        polling_wait_sec=0,
        logging_enabled=False,
    )


def _raw_create(ctx, name, vis):
    """CreateQueue through the SDK's own client so the HTTP status is visible."""
    req = CreateQueueRequest(name, vis, MAX_SIZE, RETENTION, 0, 0, False)
    resp = CreateQueueResponse()
    ctx.account.get_client().create_queue(req, resp)
    return resp


@case("create queue: 201 with Location, identical re-create 204, different attributes 409")
def create_queue(ctx):
    name = ctx.unique_name("py-create")
    queue = ctx.account.get_queue(name)
    url = queue.create(_meta())
    ctx.add_cleanup(queue.delete)
    check(url.endswith("/queues/" + name), "Location %r does not end with /queues/%s" % (url, name))

    again = _raw_create(ctx, name, VIS)
    check_eq(again.status, 204, "status of an identical re-create")
    check(again.queue_url.endswith("/queues/" + name), "204 re-create must still carry Location")

    err = expect_error("QueueAlreadyExist", _raw_create, ctx, name, VIS + 1)
    check("exist" in err.message.lower(), "QueueAlreadyExist message: %r" % err.message)


@case("get and set queue attributes (partial update)")
def queue_attributes(ctx):
    queue = ctx.new_queue("py-attr", _meta())
    meta = queue.get_attributes()
    check_eq(meta.queue_name, queue.queue_name, "QueueName")
    check_eq(meta.visibility_timeout, VIS, "VisibilityTimeout")
    check_eq(meta.maximum_message_size, MAX_SIZE, "MaximumMessageSize")
    check_eq(meta.message_retention_period, RETENTION, "MessageRetentionPeriod")
    check_eq(meta.delay_seconds, 0, "DelaySeconds")
    check_eq(meta.polling_wait_seconds, 0, "PollingWaitSeconds")
    check_eq(meta.logging_enabled, False, "LoggingEnabled")
    check(meta.create_time > 1_600_000_000, "CreateTime is epoch seconds: %r" % meta.create_time)
    check(meta.last_modify_time >= meta.create_time, "LastModifyTime >= CreateTime")

    update = QueueMeta()
    update.set_visibilitytimeout(60)
    update.set_polling_wait_seconds(1)
    queue.set_attributes(update)
    meta = queue.get_attributes()
    check_eq(meta.visibility_timeout, 60, "VisibilityTimeout after set")
    check_eq(meta.polling_wait_seconds, 1, "PollingWaitSeconds after set")
    check_eq(meta.maximum_message_size, MAX_SIZE, "MaximumMessageSize untouched by set")
    check_eq(meta.message_retention_period, RETENTION, "MessageRetentionPeriod untouched by set")

    expect_error("InvalidArgument", queue.set_attributes, QueueMeta(vis_timeout=43201))


@case("list queues with prefix, ret-number paging and marker")
def list_queues(ctx):
    prefix = ctx.unique_name("py-list") + "-"
    names = [prefix + suffix for suffix in ("a", "b", "c", "d", "e")]
    for name in reversed(names):
        queue = ctx.account.get_queue(name)
        queue.create(QueueMeta())
        ctx.add_cleanup(queue.delete)

    seen = []
    marker = ""
    pages = 0
    while True:
        urls, marker = ctx.account.list_queue(prefix, 2, marker)
        pages += 1
        check(len(urls) <= 2, "page larger than ret-number: %r" % urls)
        seen.extend(url.rsplit("/", 1)[-1] for url in urls)
        if marker == "" or pages > 10:
            break
    check_eq(seen, names, "queues listed across pages, in name order")
    check_eq(pages, 3, "number of pages for 5 queues at 2 per page")

    urls, marker = ctx.account.list_queue(prefix)
    check_eq([u.rsplit("/", 1)[-1] for u in urls], names, "unpaged listing")
    check_eq(marker, "", "NextMarker when everything fits")

    urls, marker = ctx.account.list_queue(ctx.unique_name("py-nothing"))
    check_eq((urls, marker), ([], ""), "listing with a prefix that matches nothing")


@case("send / receive / delete with a raw (unencoded) body")
def raw_body(ctx):
    queue = ctx.new_queue("py-raw")
    queue.set_encoding(False)
    body = "raw <xml> & \"quotes\" 'apos' 测试 ✓"
    sent = queue.send_message(Message(body))
    check(sent.message_id, "MessageId")
    check_eq(sent.message_body_md5.upper(), md5_upper(body), "MessageBodyMD5 of a raw body")

    got = queue.receive_message()
    check_eq(got.message_body, body, "received raw body")
    check_eq(got.message_id, sent.message_id, "MessageId")
    check_eq(got.message_body_md5.upper(), md5_upper(body), "received MessageBodyMD5")
    check_eq(got.dequeue_count, 1, "DequeueCount after the first receive")
    check(got.receipt_handle, "ReceiptHandle")
    check(got.next_visible_time > got.enqueue_time, "NextVisibleTime > EnqueueTime")
    check_eq(got.first_dequeue_time >= got.enqueue_time, True, "FirstDequeueTime >= EnqueueTime")
    check_eq(got.priority, 8, "default Priority")

    queue.delete_message(got.receipt_handle)
    expect_error("MessageNotExist", queue.receive_message, 0)


@case("send / receive / delete with a base64 body (the SDK default)")
def base64_body(ctx):
    queue = ctx.new_queue("py-b64")
    body = "base64 body: <&> 测试 \u00e9"
    wire = base64.b64encode(body.encode("utf-8")).decode("ascii")
    sent = queue.send_message(Message(body))
    check_eq(sent.message_body_md5.upper(), md5_upper(wire), "MessageBodyMD5 covers the base64 text")

    queue.set_encoding(False)
    peeked = queue.peek_message()
    check_eq(peeked.message_body, wire, "body as stored is the base64 text")
    queue.set_encoding(True)
    peeked = queue.peek_message()
    check_eq(peeked.message_body, body.encode("utf-8"), "base64-decoded peeked body")

    got = queue.receive_message_with_str_body()
    check_eq(got.message_body, body, "receive_message_with_str_body")
    check_eq(got.message_id, sent.message_id, "MessageId")
    queue.delete_message(got.receipt_handle)
    expect_error("MessageNotExist", queue.receive_message, 0)


@case("batch send / batch peek / batch receive / batch delete (16 messages)")
def batch_ops(ctx):
    queue = ctx.new_queue("py-batch")
    bodies = ["batch message %02d <&>" % i for i in range(16)]
    sent = queue.batch_send_message([Message(b) for b in bodies])
    check_eq(len(sent), 16, "BatchSend entries")
    check_eq(len({m.message_id for m in sent}), 16, "distinct MessageIds")
    for msg, body in zip(sent, bodies):
        wire = base64.b64encode(body.encode("utf-8")).decode("ascii")
        check_eq(msg.message_body_md5.upper(), md5_upper(wire), "BatchSend MessageBodyMD5")

    peeked = queue.batch_peek_message_with_str_body(16)
    check_eq(sorted(m.message_body for m in peeked), bodies, "batch peek bodies")
    check(all(m.dequeue_count == 0 for m in peeked), "peek leaves DequeueCount at 0")

    received = []
    for _ in range(8):
        if len(received) >= 16:
            break
        received.extend(queue.batch_receive_message_with_str_body(16, 1))
    check_eq(sorted(m.message_body for m in received), bodies, "batch received bodies")
    check(all(m.dequeue_count == 1 for m in received), "DequeueCount 1 after batch receive")
    check_eq(len({m.receipt_handle for m in received}), 16, "distinct receipt handles")

    queue.batch_delete_message([m.receipt_handle for m in received])
    expect_error("MessageNotExist", queue.batch_peek_message, 16)
    expect_error("MessageNotExist", queue.batch_receive_message, 16, 0)


@case("batch delete with one bad handle: per-entry error, the good one is deleted")
def batch_delete_partial(ctx):
    queue = ctx.new_queue("py-bdel")
    queue.batch_send_message([Message("one"), Message("two")])
    received = []
    for _ in range(4):
        if len(received) >= 2:
            break
        received.extend(queue.batch_receive_message(16, 1))
    check_eq(len(received), 2, "received both messages")
    good, other = received[0].receipt_handle, received[1].receipt_handle
    bogus = "not-a-receipt-handle"
    try:
        queue.batch_delete_message([good, bogus])
    except MNSServerException as err:
        check_eq(err.type, "ReceiptHandleError", "first per-entry error code")
        check(err.sub_errors, "per-entry errors listed")
        check_eq([e["ReceiptHandle"] for e in err.sub_errors], [bogus], "failed handles")
    else:
        raise AssertionError("batch delete with a bogus handle succeeded")
    expect_error(STALE_HANDLE_CODES, queue.delete_message, good)
    queue.delete_message(other)


@case("peek does not change state; received messages are not peekable")
def peek(ctx):
    queue = ctx.new_queue("py-peek", _meta())
    queue.set_encoding(False)
    expect_error("MessageNotExist", queue.peek_message)
    sent = queue.send_message(Message("peek me"))
    for _ in range(2):
        peeked = queue.peek_message()
        check_eq(peeked.message_id, sent.message_id, "peeked MessageId")
        check_eq(peeked.message_body, "peek me", "peeked body")
        check_eq(peeked.dequeue_count, 0, "peek DequeueCount")
    got = queue.receive_message()
    check_eq(got.dequeue_count, 1, "DequeueCount after receive")
    expect_error("MessageNotExist", queue.peek_message)
    meta = queue.get_attributes()
    check_eq((meta.active_messages, meta.inactive_messages), (0, 1), "Active/Inactive counts")


@case("change visibility gives a new handle and invalidates the old one")
def change_visibility(ctx):
    queue = ctx.new_queue("py-vis", _meta())
    queue.send_message(Message("visibility"))
    got = queue.receive_message()
    before = int(time.time() * 1000)
    changed = queue.change_message_visibility(got.receipt_handle, 100)
    check(changed.receipt_handle and changed.receipt_handle != got.receipt_handle, "a new handle")
    next_visible = int(changed.next_visible_time)
    check(
        before + 90_000 <= next_visible <= before + 110_000,
        "NextVisibleTime %d is about now + 100 s (now %d)" % (next_visible, before),
    )
    expect_error(STALE_HANDLE_CODES, queue.delete_message, got.receipt_handle)
    expect_error(STALE_HANDLE_CODES, queue.change_message_visibility, got.receipt_handle, 10)
    queue.delete_message(changed.receipt_handle)
    expect_error(STALE_HANDLE_CODES, queue.delete_message, changed.receipt_handle)


@case("visibility timeout expiry makes a message receivable again (1 s queue timeout)")
def visibility_expiry(ctx):
    queue = ctx.new_queue("py-expire", QueueMeta(vis_timeout=1))
    queue.send_message(Message("again"))
    first = queue.receive_message()
    again = queue.receive_message(5)
    check_eq(again.message_id, first.message_id, "same message redelivered")
    check_eq(again.dequeue_count, 2, "DequeueCount after redelivery")
    check(again.receipt_handle != first.receipt_handle, "a fresh handle on redelivery")
    expect_error(STALE_HANDLE_CODES, queue.delete_message, first.receipt_handle)
    queue.delete_message(again.receipt_handle)


@case("priority: 1 is received before 16")
def priority(ctx):
    queue = ctx.new_queue("py-prio")
    queue.set_encoding(False)
    queue.send_message(Message("low", priority=16))
    queue.send_message(Message("high", priority=1))
    first = queue.receive_message()
    check_eq((first.message_body, first.priority), ("high", 1), "first received")
    second = queue.receive_message()
    check_eq((second.message_body, second.priority), ("low", 16), "second received")
    expect_error("InvalidArgument", queue.send_message, Message("bad", priority=17))


@case("delayed message is neither peekable nor receivable yet")
def delayed(ctx):
    queue = ctx.new_queue("py-delay")
    sent = queue.send_message(Message("later", delay_seconds=60))
    check(sent.message_id, "MessageId")
    expect_error("MessageNotExist", queue.peek_message)
    expect_error("MessageNotExist", queue.receive_message, 0)
    check_eq(queue.get_attributes().delay_messages, 1, "DelayMessages")


@case("long poll on an empty queue waits, then MessageNotExist")
def long_poll_empty(ctx):
    queue = ctx.new_queue("py-lp-empty")
    started = time.monotonic()
    expect_error("MessageNotExist", queue.receive_message, 1)
    elapsed = time.monotonic() - started
    check(0.9 <= elapsed < 5, "long poll of 1 s took %.2fs" % elapsed)


@case("long poll wakes when a message arrives")
def long_poll_wakeup(ctx):
    queue = ctx.new_queue("py-lp-wake")
    sender = ctx.new_account().get_queue(queue.queue_name)

    def send_later():
        time.sleep(0.3)
        sender.send_message(Message("wake up"))

    thread = threading.Thread(target=send_later)
    started = time.monotonic()
    thread.start()
    try:
        got = queue.receive_message_with_str_body(10)
    finally:
        thread.join()
    elapsed = time.monotonic() - started
    check_eq(got.message_body, "wake up", "long-polled body")
    check(elapsed < 5, "woke after %.2fs, not at the end of the 10 s wait" % elapsed)
    queue.delete_message(got.receipt_handle)


@case("error: queue not exist")
def queue_not_exist(ctx):
    queue = ctx.account.get_queue(ctx.unique_name("py-missing"))
    expect_error("QueueNotExist", queue.get_attributes)
    expect_error("QueueNotExist", queue.send_message, Message("x"))
    expect_error("QueueNotExist", queue.receive_message, 0)
    expect_error("QueueNotExist", queue.peek_message)
    expect_error("QueueNotExist", queue.set_attributes, QueueMeta(vis_timeout=10))


@case("error: empty receive is MessageNotExist")
def empty_receive(ctx):
    queue = ctx.new_queue("py-empty")
    err = expect_error("MessageNotExist", queue.receive_message, 0)
    check(err.message, "MessageNotExist carries a message")
    expect_error("MessageNotExist", queue.batch_receive_message, 16, 0)


@case("error: malformed receipt handle is ReceiptHandleError")
def bad_receipt_handle(ctx):
    queue = ctx.new_queue("py-badrh")
    expect_error("ReceiptHandleError", queue.delete_message, "garbage")
    expect_error("ReceiptHandleError", queue.change_message_visibility, "garbage", 10)


@case("error: wrong secret is SignatureDoesNotMatch, unknown key is InvalidAccessKeyId")
def auth_errors(ctx):
    wrong_secret = ctx.new_account(access_key_secret=ctx.access_key_secret + "-wrong")
    expect_error("SignatureDoesNotMatch", wrong_secret.list_queue)
    expect_error("SignatureDoesNotMatch", wrong_secret.get_queue("any-queue").get_attributes)
    unknown_key = ctx.new_account(access_key_id="no-such-key-id")
    expect_error("InvalidAccessKeyId", unknown_key.list_queue)


@case("delete queue: gone afterwards, messages discarded")
def delete_queue(ctx):
    name = ctx.unique_name("py-del")
    queue = ctx.account.get_queue(name)
    queue.create(QueueMeta())
    queue.send_message(Message("discarded"))
    queue.delete()
    expect_error("QueueNotExist", queue.get_attributes)
    urls, _ = ctx.account.list_queue(name)
    check_eq(urls, [], "listing after delete")

"""Topic lifecycle through the official Python SDK: create, attributes, list, subscribe queue
endpoints in XML/JSON/SIMPLIFIED, publish, receive the delivered notification, unsubscribe, delete.

The queue endpoint names the emulator's region and account (MNS_REGION / MNS_ACCOUNT_ID, the
defaults match interop/run.sh).
"""

import json
import os
import xml.etree.ElementTree as ElementTree

from mns.mns_common import TopicHelper
from mns.mns_request import CreateTopicRequest, CreateTopicResponse
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMessage, TopicMeta

from harness import case, check, check_eq, expect_error, md5_upper

REGION = os.environ.get("MNS_REGION", "cn-hangzhou")
ACCOUNT_ID = os.environ.get("MNS_ACCOUNT_ID", "1234567890123456")
NS = "{http://mns.aliyuncs.com/doc/v1/}"


def _new_topic(ctx, stem="py-t", meta=None):
    name = ctx.unique_name(stem)
    topic = ctx.account.get_topic(name)
    topic.create(meta if meta is not None else TopicMeta())
    ctx.add_cleanup(topic.delete)
    return topic


def _raw_create_topic(ctx, name, max_size):
    req = CreateTopicRequest(name, max_size, None)
    resp = CreateTopicResponse()
    ctx.account.get_client().create_topic(req, resp)
    return resp


def _receive_raw(queue):
    """Receive one message without the SDK's default base64 decoding (MNS applies none)."""
    queue.set_encoding(False)
    msg = queue.receive_message_with_str_body(wait_seconds=1)
    queue.delete_message(msg.receipt_handle)
    return msg.message_body


@case("create topic: 201 with Location, identical re-create 204, different attributes 409")
def create_topic(ctx):
    name = ctx.unique_name("py-tc")
    topic = ctx.account.get_topic(name)
    url = topic.create(TopicMeta(maximum_message_size=4096))
    ctx.add_cleanup(topic.delete)
    check(url.endswith("/topics/" + name), "Location %r does not end with /topics/%s" % (url, name))
    again = _raw_create_topic(ctx, name, 4096)
    check_eq(again.status, 204, "status of an identical re-create")
    check(again.topic_url.endswith("/topics/" + name), "204 re-create must still carry Location")
    expect_error("TopicAlreadyExist", _raw_create_topic, ctx, name, 8192)


@case("get and set topic attributes")
def topic_attributes(ctx):
    topic = _new_topic(ctx, "py-ta", TopicMeta(maximum_message_size=2048, logging_enabled=False))
    meta = topic.get_attributes()
    check_eq(meta.topic_name, topic.topic_name, "TopicName")
    check_eq(meta.maximum_message_size, 2048, "MaximumMessageSize")
    check_eq(meta.message_retention_period, 86400, "MessageRetentionPeriod")
    check_eq(meta.message_count, 0, "MessageCount")
    check_eq(meta.logging_enabled, False, "LoggingEnabled")
    check(meta.create_time > 1_600_000_000, "CreateTime is epoch seconds: %r" % meta.create_time)
    topic.set_attributes(TopicMeta(maximum_message_size=65536, logging_enabled=True))
    meta = topic.get_attributes()
    check_eq(meta.maximum_message_size, 65536, "MaximumMessageSize after set")
    check_eq(meta.logging_enabled, True, "LoggingEnabled after set")
    expect_error("InvalidArgument", topic.set_attributes, TopicMeta(maximum_message_size=100))
    missing = ctx.account.get_topic(ctx.unique_name("py-none"))
    expect_error("TopicNotExist", missing.get_attributes)


@case("list topics with prefix and paging")
def list_topics(ctx):
    stem = ctx.unique_name("py-tl")
    names = []
    for i in range(3):
        topic = ctx.account.get_topic("%s-%d" % (stem, i))
        topic.create(TopicMeta())
        ctx.add_cleanup(topic.delete)
        names.append(topic.topic_name)
    urls, marker = ctx.account.list_topic(prefix=stem, ret_number=2)
    check_eq([u.rsplit("/", 1)[1] for u in urls], names[:2], "first page")
    check(marker, "a next marker after the first page")
    urls, marker = ctx.account.list_topic(prefix=stem, ret_number=2, marker=marker)
    check_eq([u.rsplit("/", 1)[1] for u in urls], names[2:], "second page")
    check_eq(marker, "", "no marker after the last page")


@case("subscribe queue endpoints in XML/JSON/SIMPLIFIED, publish, receive each format")
def publish_to_queues(ctx):
    topic = _new_topic(ctx, "py-tp")
    queues = {}
    for fmt in ("XML", "JSON", "SIMPLIFIED"):
        queue = ctx.new_queue("py-tq")
        endpoint = TopicHelper.generate_queue_endpoint(REGION, ACCOUNT_ID, queue.queue_name)
        sub = topic.get_subscription("sub-" + fmt.lower())
        url = sub.subscribe(SubscriptionMeta(endpoint, notify_content_format=fmt))
        check(url.endswith("/subscriptions/sub-" + fmt.lower()), "subscription URL %r" % url)
        ctx.add_cleanup(sub.unsubscribe)
        meta = sub.get_attributes()
        check_eq(meta.endpoint, endpoint, "Endpoint")
        check_eq(meta.notify_content_format, fmt, "NotifyContentFormat")
        check_eq(meta.notify_strategy, "BACKOFF_RETRY", "default NotifyStrategy")
        check_eq(meta.topic_owner, ACCOUNT_ID, "TopicOwner")
        queues[fmt] = queue

    body = u"topic message <&> 中文"
    sent = topic.publish_message(TopicMessage(body, message_tag="tag1"))
    check_eq(sent.message_body_md5, md5_upper(body), "MessageBodyMD5")

    xml = _receive_raw(queues["XML"])
    root = ElementTree.fromstring(xml.encode("utf-8"))
    check_eq(root.tag, NS + "Notification", "XML root")
    check_eq(root.find(NS + "Message").text, body, "XML Message")
    check_eq(root.find(NS + "MessageId").text, sent.message_id, "XML MessageId")
    check_eq(root.find(NS + "MessageTag").text, "tag1", "XML MessageTag")
    check_eq(root.find(NS + "SubscriptionName").text, "sub-xml", "XML SubscriptionName")

    doc = json.loads(_receive_raw(queues["JSON"]))
    check_eq(doc["Message"], body, "JSON Message")
    check_eq(doc["MessageMD5"], md5_upper(body), "JSON MessageMD5")
    check_eq(doc["TopicName"], topic.topic_name, "JSON TopicName")
    check(isinstance(doc["PublishTime"], str), "JSON PublishTime is a string")

    check_eq(_receive_raw(queues["SIMPLIFIED"]), body, "SIMPLIFIED body")


@case("filter tags, subscription attributes, list, unsubscribe, delete topic")
def subscriptions(ctx):
    topic = _new_topic(ctx, "py-ts")
    queue = ctx.new_queue("py-tf")
    endpoint = TopicHelper.generate_queue_endpoint(REGION, ACCOUNT_ID, queue.queue_name)
    sub = topic.get_subscription("vip")
    sub.subscribe(SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED", filter_tag="vip"))
    expect_error(
        "SubscriptionAlreadyExist",
        sub.subscribe,
        SubscriptionMeta(endpoint, notify_content_format="XML", filter_tag="vip"),
    )
    sub.set_attributes(SubscriptionMeta(notify_strategy="EXPONENTIAL_DECAY_RETRY"))
    meta = sub.get_attributes()
    check_eq(meta.notify_strategy, "EXPONENTIAL_DECAY_RETRY", "NotifyStrategy after set")
    check_eq(meta.filter_tag, "vip", "FilterTag")

    topic.publish_message(TopicMessage(u"not for vips"))
    topic.publish_message(TopicMessage(u"for vips", message_tag="vip"))
    check_eq(_receive_raw(queue), u"for vips", "only the tagged message is delivered")
    expect_error("MessageNotExist", queue.receive_message)

    urls, marker = topic.list_subscription()
    check_eq([u.rsplit("/", 1)[1] for u in urls], ["vip"], "ListSubscriptionByTopic")
    check_eq(marker, "", "no next marker")

    sub.unsubscribe()
    sub.unsubscribe()  # absent: still success
    expect_error("SubscriptionNotExist", sub.get_attributes)
    expect_error("EndpointInvalid", topic.get_subscription("bad").subscribe, SubscriptionMeta("ftp://x"))

    topic.delete()
    topic.delete()  # absent: still success
    expect_error("TopicNotExist", topic.get_attributes)
    expect_error("TopicNotExist", topic.publish_message, TopicMessage(u"x"))

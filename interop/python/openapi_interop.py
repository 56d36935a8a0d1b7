"""The official control-plane SDK (alibabacloud-mns-open20220119, ACS3 signatures) against the
emulator: a FIFO queue with a DLQ policy and tags, list/set/get/delete of queues, topics and
subscriptions; then the official data-plane SDK (aliyun-mns-sdk) uses the queue (group ids, the
DLQ move). Last, a raw RPC-v1 request as Terraform sends it (every business parameter in the
form body). Exits non-zero on any failure.

Environment: MNS_ENDPOINT (http://127.0.0.1:PORT), MNS_ACCESS_KEY_ID, MNS_ACCESS_KEY_SECRET,
MNS_ACCOUNT_ID.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from alibabacloud_mns_open20220119 import models
from alibabacloud_mns_open20220119.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from mns.account import Account
from mns.queue import Message

ENDPOINT = os.environ["MNS_ENDPOINT"]
AK = os.environ["MNS_ACCESS_KEY_ID"]
SK = os.environ["MNS_ACCESS_KEY_SECRET"]
ACCOUNT = os.environ.get("MNS_ACCOUNT_ID", "1234567890123456")
REGION = "cn-hangzhou"
SUFFIX = uuid.uuid4().hex[:8]
DLQ = "oa-dlq-" + SUFFIX
ORDERS = "oa-orders-" + SUFFIX
TOPIC = "oa-events-" + SUFFIX


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("  ok: " + what)


def control():
    host = urllib.parse.urlparse(ENDPOINT).netloc
    return Client(Config(access_key_id=AK, access_key_secret=SK, endpoint=host,
                         protocol="http", region_id=REGION))


def control_plane(c):
    c.create_queue(models.CreateQueueRequest(queue_name=DLQ, queue_type="fifo"))
    c.create_queue(models.CreateQueueRequest(
        queue_name=ORDERS, queue_type="fifo", visibility_timeout=1, enable_logging=True,
        dlq_policy=models.CreateQueueRequestDlqPolicy(
            enabled=True, dead_letter_target_queue=DLQ, max_receive_count=1),
        tenant_rate_limit_policy=models.CreateQueueRequestTenantRateLimitPolicy(
            enabled=True, max_receives_per_second=100),
        tag=[models.CreateQueueRequestTag(key="env", value="interop a/b*c~d"),
             models.CreateQueueRequestTag(key="team", value="mq")]))
    got = c.get_queue_attributes(models.GetQueueAttributesRequest(queue_name=ORDERS)).body
    check(got.success and got.code == 200, "GetQueueAttributes envelope")
    d = got.data
    check(d.queue_type == "fifo", "queue type fifo")
    check(d.dlq_policy.dead_letter_target_queue == DLQ and d.dlq_policy.enabled, "DLQ policy")
    check(str(d.dlq_policy.max_receive_count) == "1", "MaxReceiveCount")
    check(sorted((t.tag_key, t.tag_value) for t in d.tags)
          == [("env", "interop a/b*c~d"), ("team", "mq")], "tags")
    check(d.logging_enabled is True and d.visibility_timeout == 1, "attributes")

    page = c.list_queue(models.ListQueueRequest(
        queue_name="oa-", queue_type="fifo", page_num=1, page_size=10,
        tag=[models.ListQueueRequestTag(key="team", value="mq")])).body.data
    check([q.queue_name for q in page.page_data] == [ORDERS], "ListQueue with filters")

    c.set_queue_attributes(models.SetQueueAttributesRequest(queue_name=DLQ, polling_wait_seconds=1))
    d = c.get_queue_attributes(models.GetQueueAttributesRequest(queue_name=DLQ)).body.data
    check(d.polling_wait_seconds == 1, "SetQueueAttributes")

    # Topics (CreateTopic splits its parameters between query and form body).
    c.create_topic(models.CreateTopicRequest(
        topic_name=TOPIC, topic_type="normal", max_message_size=32768, enable_logging=False,
        tag=[models.CreateTopicRequestTag(key="env", value="interop")]))
    t = c.get_topic_attributes(models.GetTopicAttributesRequest(topic_name=TOPIC)).body.data
    check(t.topic_type == "normal" and t.max_message_size == 32768, "GetTopicAttributes")
    c.set_topic_attributes(models.SetTopicAttributesRequest(topic_name=TOPIC, enable_logging=True))
    topics = c.list_topic(models.ListTopicRequest(topic_name="oa-events-")).body.data
    check(any(x.topic_name == TOPIC for x in topics.page_data), "ListTopic")

    sink = "acs:mns:%s:%s:queues/%s" % (REGION, ACCOUNT, DLQ)
    name = c.subscribe(models.SubscribeRequest(
        topic_name=TOPIC, subscription_name="to-dlq", push_type="queue", endpoint=sink,
        notify_strategy="BACKOFF_RETRY", notify_content_format="SIMPLIFIED")).body
    check(name.success, "Subscribe")
    s = c.get_subscription_attributes(models.GetSubscriptionAttributesRequest(
        topic_name=TOPIC, subscription_name="to-dlq")).body.data
    check(s.endpoint == sink and s.notify_content_format == "SIMPLIFIED", "GetSubscriptionAttributes")
    c.set_subscription_attributes(models.SetSubscriptionAttributesRequest(
        topic_name=TOPIC, subscription_name="to-dlq", notify_strategy="EXPONENTIAL_DECAY_RETRY"))
    subs = c.list_subscription_by_topic(models.ListSubscriptionByTopicRequest(topic_name=TOPIC)).body.data
    check([x.notify_strategy for x in subs.page_data] == ["EXPONENTIAL_DECAY_RETRY"],
          "SetSubscriptionAttributes + ListSubscriptionByTopic")
    c.unsubscribe(models.UnsubscribeRequest(topic_name=TOPIC, subscription_name="to-dlq"))
    c.delete_topic(models.DeleteTopicRequest(topic_name=TOPIC))
    try:
        c.get_topic_attributes(models.GetTopicAttributesRequest(topic_name=TOPIC))
        check(False, "a deleted topic is gone")
    except Exception as e:  # the SDK's ClientException
        check("TopicNotExist" in str(e), "a deleted topic answers TopicNotExist")

    acct = c.get_account_attributes(models.GetAccountAttributesRequest()).body
    check(acct.success, "GetAccountAttributes")


def data_plane():
    account = Account(ENDPOINT, AK, SK)
    q = account.get_queue(ORDERS)
    q.set_encoding(False)  # raw bodies, as mns-client sends by default
    for body in ("o1 created", "o1 paid"):
        q.send_message(Message(body, message_group_id="o1"))
    first = q.receive_message(0)
    check(first.message_body == "o1 created" and first.message_group_id == "o1",
          "FIFO order and group id over the data-plane SDK")
    q.delete_message(first.receipt_handle)
    second = q.receive_message(0)
    check(second.message_body == "o1 paid", "next message of the group")
    time.sleep(1.3)  # not deleted: after the 1 s visibility timeout it is dead-lettered
    try:
        q.receive_message(0)
        check(False, "the source is empty after the move")
    except Exception as e:
        check("MessageNotExist" in str(e), "the undeleted message left the source queue")
    dlq = account.get_queue(DLQ)
    dlq.set_encoding(False)
    dead = dlq.receive_message(1)
    check(dead.message_body == "o1 paid", "the message is in the DLQ")


def terraform_rpc():
    """CreateQueue as Terraform's tea-rpc client sends it: common parameters in the query, every
    business parameter in the form body, RPC signature v1 over both."""
    name = "oa-tf-" + SUFFIX
    common = {
        "Action": "CreateQueue", "Format": "JSON", "Version": "2022-01-19",
        "AccessKeyId": AK, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    body = {"QueueName": name, "QueueType": "fifo", "RegionId": REGION, "VisibilityTimeout": "45",
            "EnableLogging": "true",
            "DlqPolicy": json.dumps({"DeadLetterTargetQueue": DLQ, "Enabled": True,
                                     "MaxReceiveCount": 3}, separators=(",", ":"))}
    enc = lambda s: urllib.parse.quote(s, safe="-_.~")
    canonical = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in sorted({**common, **body}.items()))
    string_to_sign = "POST&%2F&" + enc(canonical)
    sig = base64.b64encode(hmac.new((SK + "&").encode(), string_to_sign.encode(),
                                    hashlib.sha1).digest()).decode()
    query = urllib.parse.urlencode({**common, "Signature": sig})
    req = urllib.request.Request(ENDPOINT + "/?" + query, method="POST",
                                 data=urllib.parse.urlencode(body).encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            doc = json.loads(resp.read())
    except urllib.error.HTTPError as e:
        doc = json.loads(e.read())
        print("  RPC v1 refused: %s" % doc)
    check(doc.get("Success") is True, "Terraform-style RPC-v1 CreateQueue")
    return name


def main():
    c = control()
    print("control plane (alibabacloud-mns-open20220119)")
    control_plane(c)
    print("data plane (aliyun-mns-sdk) on the control-plane queue")
    data_plane()
    print("raw RPC v1 (Terraform)")
    tf = terraform_rpc()
    d = c.get_queue_attributes(models.GetQueueAttributesRequest(queue_name=tf)).body.data
    check(d.visibility_timeout == 45 and d.dlq_policy.max_receive_count == "3", "Terraform queue settings")
    for q in (tf, ORDERS, DLQ):
        c.delete_queue(models.DeleteQueueRequest(queue_name=q))
    check(not any(q.queue_name.endswith(SUFFIX) for q in
                  c.list_queue(models.ListQueueRequest(queue_name="oa-")).body.data.page_data),
          "DeleteQueue")
    print("openapi interop passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

'use strict';
// Runs the official Node MNS SDK (@alicloud/mns 1.2.0) through the queue and topic lifecycle against
// MNS_ENDPOINT and exits non-zero on any failure. Environment: MNS_ENDPOINT, MNS_ACCOUNT_ID,
// MNS_ACCESS_KEY_ID, MNS_ACCESS_KEY_SECRET.
//
// SDK 1.2.0 facts this script works with (read from its source):
// - it neither XML-escapes nor base64-encodes message bodies: callers must do one of the two;
// - errors are thrown as Error objects named 'MNS' + Code + 'Error';
// - listQueue() drops NextMarker, so paging goes through the SDK's own client.get();
// - BatchDeleteMessage partial failures are returned (an <Errors> body), not thrown;
// - subscriptions and deleteTopic are empty stubs: the topic cases subscribe and delete through
//   the SDK's own client.put()/client.delete(), everything else through its topic methods;
// - listTopic() sends x-mns-prefix only together with a limit.

const crypto = require('crypto');
const MNS = require('@alicloud/mns');

const endpoint = process.env.MNS_ENDPOINT;
const accountId = process.env.MNS_ACCOUNT_ID || '1234567890123456';
const accessKeyId = process.env.MNS_ACCESS_KEY_ID || 'testid';
const accessKeySecret = process.env.MNS_ACCESS_KEY_SECRET || 'testsecret';
const runId = `${process.pid.toString(16)}${(Date.now() % 0xffff).toString(16)}`;
const STALE_HANDLE_CODES = ['MessageNotExist', 'ReceiptHandleError'];

function newClient(opts = {}) {
  return new MNS(accountId, Object.assign({ accessKeyId, accessKeySecret, endpoint }, opts));
}

const client = newClient();
let counter = 0;
let cleanups = [];

function uniqueName(stem) {
  counter += 1;
  return `${stem}-${runId}-${counter}`;
}

async function newQueue(stem, params = {}) {
  const name = uniqueName(stem);
  await client.createQueue(name, params);
  cleanups.push(() => client.deleteQueue(name));
  return name;
}

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) {
    throw new CheckFailed(message);
  }
}

function checkEq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) {
    throw new CheckFailed(`${what}: expected ${e}, got ${a}`);
  }
}

async function expectError(codes, promiseFn) {
  const list = Array.isArray(codes) ? codes : [codes];
  let result;
  try {
    result = await promiseFn();
  } catch (err) {
    const names = list.map((c) => `MNS${c}Error`);
    if (!names.includes(err.name)) {
      throw new CheckFailed(`expected ${names.join('/')}, got ${err.name}: ${err.message}`);
    }
    check(/requestid: \S+/.test(err.message), `error carries a request id: ${err.message}`);
    return err;
  }
  throw new CheckFailed(`expected ${list.join('/')}, but the call succeeded: ${JSON.stringify(result)}`);
}

function escapeXml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function md5Upper(text) {
  return crypto.createHash('md5').update(Buffer.from(text, 'utf8')).digest('hex').toUpperCase();
}

function asList(value) {
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

async function receiveAll(queue, count) {
  const got = [];
  for (let i = 0; i < 8 && got.length < count; i++) {
    const res = await client.batchReceiveMessage(queue, 16, 1);
    got.push(...asList(res.body));
  }
  return got;
}

const cases = [];
function testCase(name, fn) {
  cases.push([name, fn]);
}

testCase('create queue: 201, identical re-create 204, different attributes 409', async () => {
  const name = uniqueName('node-create');
  const attrs = { VisibilityTimeout: 45, MaximumMessageSize: 2048 };
  const created = await client.createQueue(name, attrs);
  cleanups.push(() => client.deleteQueue(name));
  checkEq(created.code, 201, 'status of a new queue');
  check(created.headers.location.endsWith(`/queues/${name}`), `Location ${created.headers.location}`);
  const again = await client.createQueue(name, attrs);
  checkEq(again.code, 204, 'status of an identical re-create');
  await expectError('QueueAlreadyExist', () => client.createQueue(name, { VisibilityTimeout: 46 }));
});

testCase('get and set queue attributes', async () => {
  const name = await newQueue('node-attr', { VisibilityTimeout: 45, MaximumMessageSize: 2048 });
  let attrs = (await client.getQueueAttributes(name)).body;
  checkEq(attrs.QueueName, name, 'QueueName');
  checkEq(attrs.VisibilityTimeout, '45', 'VisibilityTimeout');
  checkEq(attrs.MaximumMessageSize, '2048', 'MaximumMessageSize');
  checkEq(attrs.ActiveMessages, '0', 'ActiveMessages');
  const set = await client.setQueueAttributes(name, { VisibilityTimeout: 60 });
  checkEq(set.code, 204, 'SetQueueAttributes status');
  attrs = (await client.getQueueAttributes(name)).body;
  checkEq(attrs.VisibilityTimeout, '60', 'VisibilityTimeout after set');
  checkEq(attrs.MaximumMessageSize, '2048', 'MaximumMessageSize untouched');
});

testCase('list queues: prefix + ret-number, then marker paging', async () => {
  const prefix = `${uniqueName('node-list')}-`;
  const names = ['a', 'b', 'c', 'd', 'e'].map((s) => prefix + s);
  for (const name of names.slice().reverse()) {
    await client.createQueue(name);
    cleanups.push(() => client.deleteQueue(name));
  }
  const firstPage = await client.listQueue(undefined, 2, prefix);
  checkEq(asList(firstPage.body).map((q) => q.QueueURL.split('/').pop()), names.slice(0, 2), 'listQueue page');

  const seen = [];
  let marker;
  for (let page = 0; page < 10; page++) {
    const headers = { 'x-mns-prefix': prefix, 'x-mns-ret-number': '2' };
    if (marker) {
      headers['x-mns-marker'] = marker;
    }
    const res = await client.get('/queues', 'Queues', { headers });
    seen.push(...asList(res.body.Queue).map((q) => q.QueueURL.split('/').pop()));
    marker = res.body.NextMarker;
    if (!marker) {
      break;
    }
  }
  checkEq(seen, names, 'queues across pages, in name order');
  const none = await client.listQueue(undefined, 10, uniqueName('node-nothing'));
  checkEq(asList(none.body), [], 'listing with a prefix that matches nothing');
});

testCase('send / receive / delete with an XML-escaped raw body', async () => {
  const queue = await newQueue('node-raw');
  const body = 'raw <xml> & "quotes" \'apos\' 测试 ✓';
  const sent = await client.sendMessage(queue, { MessageBody: escapeXml(body) });
  checkEq(sent.code, 201, 'SendMessage status');
  checkEq(sent.body.MessageBodyMD5.toUpperCase(), md5Upper(body), 'MessageBodyMD5');
  const got = await client.receiveMessage(queue);
  checkEq(got.body.MessageBody, body, 'received body');
  checkEq(got.body.MessageId, sent.body.MessageId, 'MessageId');
  checkEq(got.body.DequeueCount, '1', 'DequeueCount');
  check(got.body.ReceiptHandle, 'ReceiptHandle');
  const del = await client.deleteMessage(queue, got.body.ReceiptHandle);
  checkEq(del.code, 204, 'DeleteMessage status');
  await expectError('MessageNotExist', () => client.receiveMessage(queue));
});

testCase('send / receive with a base64 body (encoded by the caller)', async () => {
  const queue = await newQueue('node-b64');
  const body = 'base64 body <&> 测试';
  const wire = Buffer.from(body, 'utf8').toString('base64');
  const sent = await client.sendMessage(queue, { MessageBody: wire, Priority: 3 });
  checkEq(sent.body.MessageBodyMD5.toUpperCase(), md5Upper(wire), 'MessageBodyMD5 of the base64 text');
  const peeked = await client.peekMessage(queue);
  checkEq(peeked.body.MessageBody, wire, 'peeked body');
  checkEq(peeked.body.Priority, '3', 'peeked Priority');
  const got = await client.receiveMessage(queue, 1);
  checkEq(Buffer.from(got.body.MessageBody, 'base64').toString('utf8'), body, 'decoded body');
  await client.deleteMessage(queue, got.body.ReceiptHandle);
});

testCase('batch send / batch peek / batch receive / batch delete (16)', async () => {
  const queue = await newQueue('node-batch');
  const bodies = [...Array(16).keys()].map((i) => `batch ${String(i).padStart(2, '0')} <&>`);
  const sent = await client.batchSendMessage(queue, bodies.map((b) => ({ MessageBody: escapeXml(b) })));
  checkEq(sent.code, 201, 'BatchSendMessage status');
  checkEq(asList(sent.body).length, 16, 'BatchSend entries');
  asList(sent.body).forEach((m, i) => checkEq(m.MessageBodyMD5.toUpperCase(), md5Upper(bodies[i]), 'entry MD5'));
  const peeked = await client.batchPeekMessage(queue, 16);
  checkEq(asList(peeked.body).map((m) => m.MessageBody).sort(), bodies, 'batch peek bodies');
  const got = await receiveAll(queue, 16);
  checkEq(got.map((m) => m.MessageBody).sort(), bodies, 'batch received bodies');
  const del = await client.batchDeleteMessage(queue, got.map((m) => m.ReceiptHandle));
  checkEq(del.code, 204, 'BatchDeleteMessage status');
  await expectError('MessageNotExist', () => client.batchPeekMessage(queue, 16));
});

testCase('batch delete with a bad handle returns per-entry errors', async () => {
  const queue = await newQueue('node-bdel');
  await client.batchSendMessage(queue, [{ MessageBody: 'one' }, { MessageBody: 'two' }]);
  const got = await receiveAll(queue, 2);
  checkEq(got.length, 2, 'received both');
  const res = await client.batchDeleteMessage(queue, [got[0].ReceiptHandle, 'not-a-receipt-handle']);
  check(res.code >= 400, `partial failure status ${res.code}`);
  const errors = asList(res.body);
  checkEq(errors.map((e) => [e.ErrorCode, e.ReceiptHandle]),
    [['ReceiptHandleError', 'not-a-receipt-handle']], 'per-entry errors');
  await expectError(STALE_HANDLE_CODES, () => client.deleteMessage(queue, got[0].ReceiptHandle));
  await client.deleteMessage(queue, got[1].ReceiptHandle);
});

testCase('change visibility: new handle, old one rejected', async () => {
  const queue = await newQueue('node-vis');
  await client.sendMessage(queue, { MessageBody: 'visibility' });
  const got = await client.receiveMessage(queue);
  const before = Date.now();
  const changed = await client.changeMessageVisibility(queue, got.body.ReceiptHandle, 100);
  checkEq(changed.code, 200, 'ChangeMessageVisibility status');
  const handle = changed.body.ReceiptHandle;
  check(handle && handle !== got.body.ReceiptHandle, 'a new receipt handle');
  const next = Number(changed.body.NextVisibleTime);
  check(next >= before + 90000 && next <= before + 110000, `NextVisibleTime ${next} about now + 100 s`);
  await expectError('MessageNotExist', () => client.peekMessage(queue));
  await expectError(STALE_HANDLE_CODES, () => client.deleteMessage(queue, got.body.ReceiptHandle));
  await client.deleteMessage(queue, handle);
});

testCase('long poll wakes when a message arrives', async () => {
  const queue = await newQueue('node-lp');
  const sender = newClient();
  const started = Date.now();
  const timer = new Promise((resolve) => setTimeout(resolve, 300))
    .then(() => sender.sendMessage(queue, { MessageBody: 'wake up' }));
  const got = await client.receiveMessage(queue, 10);
  await timer;
  checkEq(got.body.MessageBody, 'wake up', 'long-polled body');
  check(Date.now() - started < 5000, `woke after ${Date.now() - started} ms`);
  await client.deleteMessage(queue, got.body.ReceiptHandle);
});

testCase('errors: QueueNotExist, MessageNotExist, ReceiptHandleError', async () => {
  const missing = uniqueName('node-missing');
  await expectError('QueueNotExist', () => client.getQueueAttributes(missing));
  await expectError('QueueNotExist', () => client.sendMessage(missing, { MessageBody: 'x' }));
  const queue = await newQueue('node-err');
  await expectError('MessageNotExist', () => client.receiveMessage(queue));
  await expectError('MessageNotExist', () => client.batchReceiveMessage(queue, 16));
  await expectError('ReceiptHandleError', () => client.deleteMessage(queue, 'garbage'));
  await expectError('ReceiptHandleError', () => client.changeMessageVisibility(queue, 'garbage', 10));
});

testCase('errors: wrong secret, unknown access key', async () => {
  const wrong = newClient({ accessKeySecret: `${accessKeySecret}-wrong` });
  await expectError('SignatureDoesNotMatch', () => wrong.listQueue());
  await expectError('SignatureDoesNotMatch', () => wrong.sendMessage('any-queue', { MessageBody: 'x' }));
  const unknown = newClient({ accessKeyId: 'no-such-key-id' });
  await expectError('InvalidAccessKeyId', () => unknown.listQueue());
});

testCase('delete queue', async () => {
  const name = uniqueName('node-del');
  await client.createQueue(name);
  await client.sendMessage(name, { MessageBody: 'discarded' });
  const del = await client.deleteQueue(name);
  checkEq(del.code, 204, 'DeleteQueue status');
  await expectError('QueueNotExist', () => client.getQueueAttributes(name));
});

// ---------------------------------------------------------------- topics

const region = process.env.MNS_REGION || 'cn-hangzhou';

async function newTopic(stem, params = {}) {
  const name = uniqueName(stem);
  await client.createTopic(name, params);
  cleanups.push(() => client.delete(`/topics/${name}`, 'Topic', ''));
  return name;
}

function subscribeRaw(topic, sub, fields) {
  const children = Object.entries(fields).map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('');
  const body = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>'
    + `<Subscription xmlns="http://mns.aliyuncs.com/doc/v1/">${children}</Subscription>`);
  return client.put(`/topics/${topic}/subscriptions/${sub}`, 'Subscription', body, ['location']);
}

testCase('create topic: 201, identical re-create 204, different attributes 409', async () => {
  const name = uniqueName('node-topic');
  const created = await client.createTopic(name, { MaximumMessageSize: 4096 });
  cleanups.push(() => client.delete(`/topics/${name}`, 'Topic', ''));
  checkEq(created.code, 201, 'status of a new topic');
  check(created.headers.location.endsWith(`/topics/${name}`), `Location ${created.headers.location}`);
  const again = await client.createTopic(name, { MaximumMessageSize: 4096 });
  checkEq(again.code, 204, 'status of an identical re-create');
  await expectError('TopicAlreadyExist', () => client.createTopic(name, { MaximumMessageSize: 8192 }));
});

testCase('get and set topic attributes, list topics', async () => {
  const prefix = `${uniqueName('node-tl')}-`;
  const names = ['a', 'b', 'c'].map((s) => prefix + s);
  for (const name of names) {
    await client.createTopic(name, { MaximumMessageSize: 2048 });
    cleanups.push(() => client.delete(`/topics/${name}`, 'Topic', ''));
  }
  let attrs = (await client.getTopicAttributes(names[0])).body;
  checkEq(attrs.TopicName, names[0], 'TopicName');
  checkEq(attrs.MaximumMessageSize, '2048', 'MaximumMessageSize');
  checkEq(attrs.MessageRetentionPeriod, '86400', 'MessageRetentionPeriod');
  checkEq(attrs.LoggingEnabled, 'False', 'LoggingEnabled');
  const set = await client.setTopicAttributes(names[0], { LoggingEnabled: 'True' });
  checkEq(set.code, 204, 'SetTopicAttributes status');
  attrs = (await client.getTopicAttributes(names[0])).body;
  checkEq(attrs.LoggingEnabled, 'True', 'LoggingEnabled after set');
  const page = await client.listTopic(undefined, 2, prefix);
  checkEq(asList(page.body).map((t) => t.TopicURL.split('/').pop()), names.slice(0, 2), 'listTopic page');
  await expectError('TopicNotExist', () => client.getTopicAttributes(uniqueName('node-none')));
});

testCase('publish: a queue subscription receives XML, JSON and SIMPLIFIED bodies', async () => {
  const topic = await newTopic('node-tp');
  const queues = {};
  for (const format of ['XML', 'JSON', 'SIMPLIFIED']) {
    const queue = await newQueue('node-tq');
    const sub = `sub-${format.toLowerCase()}`;
    const res = await subscribeRaw(topic, sub, {
      Endpoint: `acs:mns:${region}:${accountId}:queues/${queue}`,
      NotifyContentFormat: format,
    });
    checkEq(res.code, 201, `Subscribe ${format} status`);
    cleanups.push(() => client.delete(`/topics/${topic}/subscriptions/${sub}`, 'Subscription', ''));
    queues[format] = queue;
  }
  const body = 'node topic message & more';
  const sent = await client.publishMessage(topic, { MessageBody: escapeXml(body), MessageTag: 'n1' });
  checkEq(sent.code, 201, 'PublishMessage status');
  checkEq(sent.body.MessageBodyMD5, md5Upper(body), 'MessageBodyMD5');

  const xml = (await client.receiveMessage(queues.XML, 1)).body.MessageBody;
  check(xml.includes(`<MessageId>${sent.body.MessageId}</MessageId>`), `XML notification: ${xml}`);
  check(xml.includes('<Message>node topic message &amp; more</Message>'), `XML Message: ${xml}`);
  check(xml.includes('<MessageTag>n1</MessageTag>'), `XML MessageTag: ${xml}`);
  const json = JSON.parse((await client.receiveMessage(queues.JSON, 1)).body.MessageBody);
  checkEq(json.Message, body, 'JSON Message');
  checkEq(json.TopicName, topic, 'JSON TopicName');
  checkEq(json.MessageTag, 'n1', 'JSON MessageTag');
  const simple = (await client.receiveMessage(queues.SIMPLIFIED, 1)).body.MessageBody;
  checkEq(simple, body, 'SIMPLIFIED body');

  await expectError('TopicNotExist', () => client.publishMessage(uniqueName('node-none'), { MessageBody: 'x' }));
});

async function main() {
  console.log(`official Node SDK (@alicloud/mns) against ${endpoint}`);
  let passed = 0;
  let failed = 0;
  for (const [name, fn] of cases) {
    const started = Date.now();
    try {
      await fn();
      passed += 1;
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      failed += 1;
      console.log(`FAIL ${name} (${Date.now() - started} ms): ${err.name}: ${err.message}`);
      if (!(err instanceof CheckFailed)) {
        console.log(err.stack);
      }
    }
    const pending = cleanups;
    cleanups = [];
    for (const cleanup of pending.reverse()) {
      try {
        await cleanup();
      } catch (_) {
        // best-effort cleanup
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  // Exit explicitly: the SDK's keep-alive agent may hold sockets open.
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((err) => {
  console.log(`interop harness crashed: ${err.stack}`);
  process.exit(1);
});

-- wrk script: SendMessage (200-byte body) to queue "wrk" on an emulator started with
-- --accept-any-signature (or on `mns-loadgen canned`). See BENCHMARKS.md.
local body = string.rep("m", 200)
wrk.method = "POST"
wrk.path = "/queues/wrk/messages"
wrk.headers["Content-Type"] = "text/xml;charset=utf-8"
wrk.headers["x-mns-version"] = "2015-06-06"
wrk.headers["Authorization"] = "MNS testid:unchecked"
wrk.body = '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/"><MessageBody>'
  .. body .. '</MessageBody></Message>'

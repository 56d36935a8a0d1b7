-- wrk script: batched full cycles (BatchSendMessage 16, BatchReceiveMessage 16,
-- BatchDeleteMessage) on queue "wrk" of an emulator started with --accept-any-signature.
-- A message counts as cycled when a BatchDeleteMessage answering 204 carried its handle.
-- Report: "cycled messages/s" printed by done(). See BENCHMARKS.md.
local BATCH = 16
local body = string.rep("m", 200)
local parts = { '<?xml version="1.0" encoding="UTF-8"?><Messages xmlns="http://mns.aliyuncs.com/doc/v1/">' }
for _ = 1, BATCH do
  table.insert(parts, "<Message><MessageBody>" .. body .. "</MessageBody></Message>")
end
table.insert(parts, "</Messages>")
local send_body = table.concat(parts)
local headers = {
  ["Content-Type"] = "text/xml;charset=utf-8",
  ["x-mns-version"] = "2015-06-06",
  ["Authorization"] = "MNS testid:unchecked",
}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  handles = {}
  step = 0
  deleted = 0
  in_flight = {}
end

function request()
  step = step + 1
  local phase = step % 3
  if phase == 0 and #handles > 0 then
    local n = math.min(BATCH, #handles)
    local xml = { '<?xml version="1.0" encoding="UTF-8"?><ReceiptHandles xmlns="http://mns.aliyuncs.com/doc/v1/">' }
    for _ = 1, n do
      table.insert(xml, "<ReceiptHandle>" .. table.remove(handles) .. "</ReceiptHandle>")
    end
    table.insert(xml, "</ReceiptHandles>")
    table.insert(in_flight, n)
    return wrk.format("DELETE", "/queues/wrk/messages", headers, table.concat(xml))
  elseif phase == 1 then
    return wrk.format("POST", "/queues/wrk/messages", headers, send_body)
  else
    return wrk.format("GET", "/queues/wrk/messages?numOfMessages=" .. BATCH .. "&waitseconds=0", headers, nil)
  end
end

function response(status, hdrs, resp)
  if status == 204 then
    deleted = deleted + (table.remove(in_flight, 1) or 0)
  elseif status == 200 then
    for h in resp:gmatch("<ReceiptHandle>([^<]+)</ReceiptHandle>") do
      table.insert(handles, h)
    end
  elseif #in_flight > 0 and resp:find("<Errors") then
    table.remove(in_flight, 1)
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("deleted") end
  local secs = summary.duration / 1e6
  io.write(string.format("cycled messages: %d  cycled messages/s: %.0f\n", total, total / secs))
end

-- wrk script: full cycles (SendMessage, ReceiveMessage, DeleteMessage) on queue "wrk" of an
-- emulator started with --accept-any-signature. Each wrk thread keeps the receipt handles it has
-- received and deletes them; a message counts as cycled when its DeleteMessage answers 204.
-- Report: "cycled messages/s" printed by done(). See BENCHMARKS.md.
local body = string.rep("m", 200)
local send_body = '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/"><MessageBody>'
  .. body .. '</MessageBody></Message>'
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
  pending_delete = 0
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  step = step + 1
  local phase = step % 3
  if phase == 0 and #handles > 0 then
    local h = table.remove(handles)
    pending_delete = pending_delete + 1
    return wrk.format("DELETE", "/queues/wrk/messages?ReceiptHandle=" .. urlencode(h), headers, nil)
  elseif phase == 1 then
    return wrk.format("POST", "/queues/wrk/messages", headers, send_body)
  else
    return wrk.format("GET", "/queues/wrk/messages?waitseconds=0", headers, nil)
  end
end

function response(status, hdrs, resp)
  if status == 204 then
    deleted = deleted + 1
  elseif status == 200 then
    local h = resp:match("<ReceiptHandle>([^<]+)</ReceiptHandle>")
    if h then table.insert(handles, h) end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("deleted") end
  local secs = summary.duration / 1e6
  io.write(string.format("cycled messages: %d  cycled messages/s: %.0f\n", total, total / secs))
end

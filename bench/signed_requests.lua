-- POSTs pre-signed requests read from a file, each sent once, and counts the answers.
--
--   wrk -t2 ... http://127.0.0.1:PORT -- <file> <path> <threads>
--
-- Each line of <file> is "<Portal-Signature header>\t<raw JSON body>" (wrk's Lua has no HMAC, so
-- bench/events_ingest.py signs them). Thread n of <threads> takes lines n+1, n+1+<threads>, ... so
-- no two threads send the same event; a thread that runs out starts its lines again and counts
-- them as repeated. done() prints "answers: 200=<n> other=<n> repeated=<n>" for the bench to parse.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file, path, count = args[1], args[2], tonumber(args[3])
  requests, index, sent, ok, other, repeated, first_error = {}, 1, 0, 0, 0, 0, nil
  local line_number = 0
  for line in io.lines(file) do
    if line_number % count == id then
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      local headers = { ["Content-Type"] = "application/json", ["Portal-Signature"] = signature }
      requests[#requests + 1] = wrk.format("POST", path, headers, body)
    end
    line_number = line_number + 1
  end
  if #requests == 0 then
    error("no requests for thread " .. id .. " in " .. file)
  end
end

function request()
  if index > #requests then
    index = 1
  end
  local r = requests[index]
  index = index + 1
  sent = sent + 1
  if sent > #requests then
    repeated = repeated + 1
  end
  return r
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
    if first_error == nil then
      first_error = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local total_ok, total_other, total_repeated, first = 0, 0, 0, nil
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_other = total_other + thread:get("other")
    total_repeated = total_repeated + thread:get("repeated")
    first = first or thread:get("first_error")
  end
  io.write(string.format("answers: 200=%d other=%d repeated=%d\n", total_ok, total_other, total_repeated))
  if first then
    io.write("first other answer: " .. first .. "\n")
  end
end

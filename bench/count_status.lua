-- Counts the answers of a plain GET load (wrk counts a 3xx as a success: a login redirect must not
-- pass for a fast page). done() prints "answers: 200=<n> other=<n> repeated=0" for the bench to parse.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, other, first_error = 0, 0, nil
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
    if first_error == nil then
      first_error = status .. " " .. (headers["Location"] or "") .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local total_ok, total_other, first = 0, 0, nil
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_other = total_other + thread:get("other")
    first = first or thread:get("first_error")
  end
  io.write(string.format("answers: 200=%d other=%d repeated=0\n", total_ok, total_other))
  if first then
    io.write("first other answer: " .. first .. "\n")
  end
end

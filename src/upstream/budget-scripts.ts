// The shared budgets' Lua scripts: each reads and changes one budget atomically inside Redis, with the
// semantics of rate-limiter.ts (the same sliding window, margin, learned limits, corrections and 429
// hold), so that every instance reserves from one log. Written as scripts because no Redis command
// reserves "the earliest start at which no window holds more than max": a script is the only way to
// check and insert in one step.
//
// KEYS[1] is the budget's log (a sorted set: score = start time, member unique per reservation) and
// KEYS[2] its state (a hash: max, interval, blockedUntil, scope, and expires: until when both are kept); both carry the budget's hash tag, so
// they live in one slot. Times are Redis's clock (TIME), unless ARGV[1] gives one (the equivalence tests
// do), and cross the wire relative to it, so instances with skewed clocks still agree.

const PRELUDE = `
local function now_ms(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The budget's limits (learned, else the defaults), its hold, and until when its keys are kept.
local function state()
  local s = redis.call('HMGET', KEYS[2], 'max', 'interval', 'blockedUntil', 'scope', 'expires')
  return tonumber(s[1]) or tonumber(ARGV[2]), tonumber(s[2]) or tonumber(ARGV[3]), tonumber(s[3]) or 0, s[4] or 'burst', tonumber(s[5]) or 0
end

local now = now_ms(ARGV[1])
local margin = tonumber(ARGV[4])

-- Keys live as long as a start or the hold can still matter, then a minute. 'latest' is the latest time
-- this script wrote; the expiry only ever moves later, and by a second more than needed, so that a budget
-- under load refreshes it once a second rather than on every call ('force': the log may be new).
local function keep(latest, force)
  local _, interval, _, _, expires = state()
  local wanted = math.max(latest, now) + interval + margin + 60000
  if wanted <= expires and not force then return end
  local expiry = math.max(wanted, expires) + 1000
  redis.call('HSET', KEYS[2], 'expires', expiry)
  redis.call('PEXPIRE', KEYS[1], expiry - now)
  redis.call('PEXPIRE', KEYS[2], expiry - now)
end
`;

// Every script's ARGV starts with: now ('' for Redis's clock), default max, default interval, margin.

/**
 * ARGV from 5: notBeforeOffset, deadlineOffset, member, mode: 'reserve'; 'ask' (nothing reserved); or
 * 'confirm' (RateLimiter.confirm: the member gives up its slot and takes one again from now, counting
 * only the starts up to now). Returns {reserved 1/0, start - now, hold left, hold scope}.
 */
export const RESERVE = `${PRELUDE}
local function upper_bound(log, t)
  local low, high = 1, #log + 1
  while low < high do
    local middle = math.floor((low + high) / 2)
    if log[middle] <= t then low = middle + 1 else high = middle end
  end
  return low - 1
end

-- Whether a start at 'time' keeps every window at 'max' starts or fewer: any max + 1 consecutive
-- starts that include it must span at least one window.
local function fits(log, time, max, window)
  local at = upper_bound(log, time)
  for before = math.max(0, max - (#log - at)), math.min(max, at) do
    local after = max - before
    local first = time
    if before > 0 then first = log[at - before + 1] end
    local last = time
    if after > 0 then last = log[at + after] end
    if last - first < window then return false end
  end
  return true
end

local max, interval, blocked_until, scope = state()
local window = interval + margin
local mode = ARGV[8]
if mode == 'confirm' then redis.call('ZREM', KEYS[1], ARGV[7]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local from = math.max(now + tonumber(ARGV[5]), blocked_until, now)
local start = nil
local log = {}
local counted
if mode == 'confirm' then counted = redis.call('ZCOUNT', KEYS[1], '-inf', now) else counted = redis.call('ZCARD', KEYS[1]) end
-- Fewer starts than the limit: free at once, without reading the log (the usual case).
if counted < max then start = from
else
  local flat
  if mode == 'confirm' then flat = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES')
  else flat = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES') end
  for i = 2, #flat, 2 do log[#log + 1] = tonumber(flat[i]) end
  if fits(log, from, max, window) then start = from end
end
-- Otherwise a start becomes possible when some earlier start leaves its window.
for i = 1, #log do
  if start ~= nil then break end
  local candidate = log[i] + window
  if candidate > from and fits(log, candidate, max, window) then start = candidate end
end
if start == nil then start = log[#log] + window end
local held = math.max(0, blocked_until - now)
if start > now + tonumber(ARGV[6]) or mode == 'ask' then return {0, start - now, held, scope} end
redis.call('ZADD', KEYS[1], start, ARGV[7])
keep(start, counted == 0)
return {1, start - now, held, scope}
`;

/**
 * An answer came back. ARGV from 5: max, interval, remaining (each '' when the answer did not say),
 * member prefix, and the member of the call's reservation ('' for none), whose start moves to now
 * (RateLimiter.restamp) before the headers are read.
 */
export const OBSERVE = `${PRELUDE}
if ARGV[9] ~= '' then redis.call('ZADD', KEYS[1], 'XX', now, ARGV[9]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'max', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[2], 'interval', ARGV[6]) end
local corrected = false
if ARGV[7] ~= '' then
  -- Calls HighLevel counted that no instance reserved (another app, say): counted as made now.
  local max, interval = state()
  local used_upstream = max - tonumber(ARGV[7])
  local used_here = redis.call('ZCOUNT', KEYS[1], '(' .. (now - interval), now)
  for i = used_here, used_upstream - 1 do redis.call('ZADD', KEYS[1], now, ARGV[8] .. ':' .. i) end
  corrected = used_upstream > used_here
end
keep(now, corrected)
return 1
`;

/** ARGV from 5: holdMs, scope. After a 429: nothing starts before now + holdMs. */
export const HOLD = `${PRELUDE}
local _, _, blocked_until = state()
local until_ms = now + tonumber(ARGV[5])
if until_ms > blocked_until then redis.call('HSET', KEYS[2], 'blockedUntil', until_ms, 'scope', ARGV[6]) end
keep(until_ms, false)
return 1
`;

/**
 * ARGV from 5: blockedUntil, scope, then start/member pairs: another budget's starts and hold (read from
 * it just before) added to this one, when a token's budget joins its location's.
 */
export const ABSORB = `${PRELUDE}
local latest = now
for i = 7, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
  latest = math.max(latest, tonumber(ARGV[i]))
end
local _, _, blocked_until = state()
if tonumber(ARGV[5]) > blocked_until then redis.call('HSET', KEYS[2], 'blockedUntil', ARGV[5], 'scope', ARGV[6]) end
keep(math.max(latest, tonumber(ARGV[5])), true)
return 1
`;

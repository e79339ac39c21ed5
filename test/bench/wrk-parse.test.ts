import assert from 'node:assert/strict';
import { test } from 'node:test';
import { luaScript, parseDurationMs, parseWrkOutput } from '../../bench/wrk.js';

const TEXT = `Running 3s test @ http://127.0.0.1:18531/v1/models/sklearn-iris:predict
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    13.20ms    8.01ms  76.38ms   81.00%
    Req/Sec     1.29k   201.00     1.60k    70.00%
  Latency Distribution
     50%   10.13ms
     75%   15.00ms
     90%   22.04ms
     99%   48.51ms
  3916 requests in 3.05s, 558.34KB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   1284.09
Transfer/sec:    183.08KB
`;

test('parses wrk --latency text: rps, percentiles in ms, errors', () => {
  const r = parseWrkOutput(TEXT);
  assert.equal(r.source, 'text');
  assert.equal(r.requests, 3916);
  assert.equal(r.durationS, 3.05);
  assert.equal(r.rps, 1284.09);
  assert.equal(r.meanMs, 13.2);
  assert.equal(r.p50Ms, 10.13);
  assert.equal(r.p90Ms, 22.04);
  assert.equal(r.p99Ms, 48.51);
  assert.equal(r.maxMs, 76.38);
  assert.equal(r.non2xx, 7);
  assert.equal(r.socketErrors, 5);
  assert.equal(r.timeouts, 3);
});

test('prefers the WRKJSON line from the Lua done() hook (microseconds → ms)', () => {
  const line =
    'WRKJSON {"requests":3916,"duration_us":3049626,"bytes":571736,"connect_errors":0,"read_errors":0,"write_errors":0,"status_errors":2,"timeout_errors":1,"lat_mean_us":13199.403,"lat_max_us":76379,"p50_us":10126,"p90_us":22036,"p99_us":48511}';
  const r = parseWrkOutput(`${TEXT}${line}\n`);
  assert.equal(r.source, 'lua');
  assert.equal(r.requests, 3916);
  assert.equal(r.p50Ms, 10.126);
  assert.equal(r.p99Ms, 48.511);
  assert.equal(r.meanMs, 13.199403);
  assert.ok(Math.abs(r.rps - 3916 / 3.049626) < 1e-9);
  assert.equal(r.non2xx, 2);
  assert.equal(r.socketErrors, 1);
});

test('wrk time units: us, ms, s, m', () => {
  assert.ok(Math.abs(parseDurationMs('345.00us') - 0.345) < 1e-12);
  assert.equal(parseDurationMs('1.50ms'), 1.5);
  assert.equal(parseDurationMs('2.00s'), 2000);
  assert.equal(parseDurationMs('1.00m'), 60_000);
  assert.ok(Number.isNaN(parseDurationMs('fast')));
});

test('a run without figures is an error, not zeros', () => {
  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), /no request count/);
});

test('text from the latest wrk without errors lines: zero errors', () => {
  const r = parseWrkOutput(TEXT.replace(/^ {2}Socket errors.*\n/m, '').replace(/^ {2}Non-2xx.*\n/m, ''));
  assert.equal(r.non2xx, 0);
  assert.equal(r.socketErrors, 0);
});

test('Lua script: POST, body from file, headers as long strings that cannot be closed early', () => {
  const s = luaScript('/tmp/x]=]y.body', {
    Host: 'sklearn-iris.default.example.com',
    'Content-Type': 'application/json',
  });
  assert.match(s, /^wrk\.method = "POST"$/m);
  assert.ok(s.includes('io.open([==[/tmp/x]=]y.body]==], "rb")'));
  assert.match(s, /^wrk\.headers\[ \[=\[Host\]=\] \] = \[=\[sklearn-iris\.default\.example\.com\]=\]$/m);
  assert.match(s, /latency:percentile\(99\)/);
  assert.match(s, /WRKJSON/);
});

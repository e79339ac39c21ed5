// The replica client's pure response-head parser (src/gateway/replica-client/response-parser.ts), table-driven
// in the manner of llhttp's fixtures: each row is a head as a replica might send it and what the gateway makes
// of it — status, forwarded headers, framing, keep-alive — or that it refuses it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bodyFraming,
  findHeadEnd,
  parseResponseHead,
  type ResponseHead,
} from '../../src/gateway/replica-client/response-parser.js';

/** A head from lines (no final CRLFCRLF: the parser gets the text before it). */
const head = (...lines: string[]) => lines.join('\r\n');

interface Row {
  name: string;
  text: string;
  /** false when HEAD was asked (bodyFraming). */
  isHead?: boolean;
  want: Partial<ResponseHead> & { framing?: string };
}

const OK: Row[] = [
  {
    name: 'content-length',
    text: head('HTTP/1.1 200 OK', 'Content-Type: application/json', 'Content-Length: 21'),
    want: {
      status: 200,
      reason: 'OK',
      headers: ['Content-Type', 'application/json', 'Content-Length', '21'],
      lines: 'Content-Type: application/json\r\nContent-Length: 21\r\n',
      length: 21,
      chunked: false,
      keep: true,
      framing: 'length',
    },
  },
  {
    name: 'chunked transfer-encoding: not forwarded, streamed, no direct-write lines',
    text: head('HTTP/1.1 200 OK', 'transfer-encoding: chunked', 'x-a: 1'),
    want: { headers: ['x-a', '1'], lines: '', length: -1, chunked: true, keep: true, framing: 'chunked' },
  },
  {
    name: 'both Content-Length and Transfer-Encoding: TE wins, the length is dropped (RFC 9112 §6.3)',
    text: head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Transfer-Encoding: gzip, chunked', 'x-a: 1'),
    want: { headers: ['x-a', '1'], length: -1, chunked: true, keep: true, framing: 'chunked' },
  },
  {
    name: 'transfer-encoding not ending in chunked: close-delimited, not reusable',
    text: head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip'),
    want: { length: -1, chunked: false, keep: false, framing: 'close' },
  },
  {
    name: 'duplicate equal content-length: accepted as one',
    text: head('HTTP/1.1 200 OK', 'content-length: 3', 'Content-Length: 3'),
    want: { length: 3, framing: 'length' },
  },
  {
    name: 'no length, no chunked: close-delimited',
    text: head('HTTP/1.1 200 OK', 'x-a: 1'),
    want: { length: -1, chunked: false, framing: 'close' },
  },
  {
    name: 'HTTP/1.0: not kept alive unless it says keep-alive',
    text: head('HTTP/1.0 200 OK', 'content-length: 2'),
    want: { keep: false, framing: 'length' },
  },
  {
    name: 'HTTP/1.0 with connection: keep-alive',
    text: head('HTTP/1.0 200 OK', 'Connection: keep-alive', 'content-length: 2'),
    want: { keep: true, headers: ['content-length', '2'] },
  },
  {
    name: 'connection: close; hop-by-hop headers are not forwarded',
    text: head('HTTP/1.1 200 OK', 'Connection: close', 'Keep-Alive: timeout=5', 'Trailer: x', 'content-length: 0'),
    want: { keep: false, headers: ['content-length', '0'], lines: 'content-length: 0\r\n' },
  },
  {
    name: 'no reason phrase',
    text: head('HTTP/1.1 404', 'content-length: 0'),
    want: { status: 404, reason: '' },
  },
  {
    name: 'reason phrase with spaces; header value whitespace trimmed, line kept as sent',
    text: head('HTTP/1.1 503 Service Unavailable', 'x-a:   padded  '),
    want: { status: 503, reason: 'Service Unavailable', headers: ['x-a', 'padded'], lines: 'x-a:   padded  \r\n' },
  },
  { name: '1xx informational (skipped by the connection)', text: head('HTTP/1.1 100 Continue'), want: { status: 100 } },
  { name: '103 Early Hints', text: head('HTTP/1.1 103 Early Hints', 'Link: </a>'), want: { status: 103 } },
  {
    name: '204: no body whatever the headers say',
    text: head('HTTP/1.1 204 No Content', 'content-length: 10'),
    want: { status: 204, framing: 'none' },
  },
  {
    name: '304: no body',
    text: head('HTTP/1.1 304 Not Modified', 'transfer-encoding: chunked'),
    want: { status: 304, framing: 'none' },
  },
  {
    name: 'answer to HEAD: no body, content-length forwarded as it is',
    text: head('HTTP/1.1 200 OK', 'content-length: 1234'),
    isHead: true,
    want: { length: 1234, headers: ['content-length', '1234'], framing: 'none' },
  },
];

const BAD: Array<{ name: string; text: string; error: RegExp }> = [
  { name: 'not HTTP', text: 'NOT HTTP AT ALL', error: /status line/ },
  { name: 'HTTP/2 status line', text: 'HTTP/2 200 OK', error: /status line/ },
  { name: 'no space after the version', text: 'HTTP/1.1200 OK', error: /status line/ },
  { name: 'odd minor version', text: 'HTTP/1.x 200 OK', error: /status line/ },
  { name: 'status not digits', text: 'HTTP/1.1 2x0 OK', error: /status/ },
  { name: 'status under 100', text: 'HTTP/1.1 099 Hm', error: /status/ },
  { name: 'four-digit status', text: 'HTTP/1.1 2000 OK', error: /status/ },
  {
    name: '101 without an upgrade asked for',
    text: head('HTTP/1.1 101 Switching Protocols', 'Upgrade: h2c'),
    error: /101/,
  },
  { name: 'content-length not digits', text: head('HTTP/1.1 200 OK', 'content-length: 1x'), error: /content-length/ },
  { name: 'negative content-length', text: head('HTTP/1.1 200 OK', 'content-length: -1'), error: /content-length/ },
  {
    name: 'content-length as a list',
    text: head('HTTP/1.1 200 OK', 'content-length: 3, 3'),
    error: /content-length/,
  },
  {
    name: 'duplicate differing content-length',
    text: head('HTTP/1.1 200 OK', 'content-length: 3', 'content-length: 4'),
    error: /differing content-length/,
  },
  {
    name: 'obsolete line folding (space)',
    text: head('HTTP/1.1 200 OK', 'x-a: 1', '  folded', 'content-length: 0'),
    error: /folding/,
  },
  { name: 'obsolete line folding (tab)', text: head('HTTP/1.1 200 OK', 'x-a: 1', '\tfolded'), error: /folding/ },
  { name: 'a header line without a colon', text: head('HTTP/1.1 200 OK', 'no colon here'), error: /colon/ },
  { name: 'a header line with an empty name', text: head('HTTP/1.1 200 OK', ': v'), error: /colon/ },
];

for (const row of OK) {
  test(`parses: ${row.name}`, () => {
    const got = parseResponseHead(row.text);
    assert.ok(!('error' in got), `refused: ${'error' in got ? got.error : ''}`);
    const { framing, ...fields } = row.want;
    for (const [k, v] of Object.entries(fields)) assert.deepEqual(got[k as keyof ResponseHead], v, k);
    if (framing !== undefined && got.status >= 200) assert.equal(bodyFraming(got, row.isHead === true), framing);
  });
}

for (const row of BAD) {
  test(`refuses: ${row.name}`, () => {
    const got = parseResponseHead(row.text);
    assert.ok('error' in got, `accepted: ${JSON.stringify(got)}`);
    assert.match(got.error, row.error);
  });
}

test('findHeadEnd: the end of the head, more bytes needed, or over the size limit', () => {
  const h = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  const end = h.indexOf('\r\n\r\n');
  const cases: Array<[string, Buffer, number, number, number]> = [
    ['whole head', h, 0, 1024, end],
    ['search resumed near the end of earlier bytes', h, end - 3, 1024, end],
    ['no CRLFCRLF yet, under the limit', h.subarray(0, end + 2), 0, 1024, -1],
    ['no CRLFCRLF yet, already over the limit', h.subarray(0, end + 2), 0, 10, -2],
    ['a whole head larger than the limit', h, 0, end + 3, -2],
    ['a head exactly at the limit', h, 0, end + 4, end],
  ];
  for (const [name, buf, from, max, want] of cases) assert.equal(findHeadEnd(buf, from, max), want, name);
});

test('bodyFraming: HEAD, 204 and 304 have no body; then chunked, length, close', () => {
  const base = parseResponseHead(head('HTTP/1.1 200 OK', 'content-length: 5'));
  assert.ok(!('error' in base));
  const cases: Array<[Partial<ResponseHead>, boolean, string]> = [
    [{}, false, 'length'],
    [{}, true, 'none'],
    [{ status: 204 }, false, 'none'],
    [{ status: 304 }, false, 'none'],
    [{ chunked: true, length: -1 }, false, 'chunked'],
    [{ length: -1 }, false, 'close'],
    [{ length: 0 }, false, 'length'],
  ];
  for (const [patch, isHead, want] of cases)
    assert.equal(bodyFraming({ ...base, ...patch }, isHead), want, JSON.stringify({ patch, isHead }));
});

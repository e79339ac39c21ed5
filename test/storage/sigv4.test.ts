import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalQuery, canonicalUri, EMPTY_SHA256, sha256Hex, signV4, uriEncode } from '../../src/storage/sigv4.js';

// The worked examples of the S3 documentation, "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk (AWS Signature Version 4)".
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const now = new Date('2013-05-24T00:00:00Z');
const host = 'https://examplebucket.s3.amazonaws.com';

test('sigv4: GET object with a Range header (AWS example)', () => {
  const s = signV4({
    method: 'GET',
    url: new URL(`${host}/test.txt`),
    headers: { range: 'bytes=0-9' },
    region: 'us-east-1',
    credentials,
    now,
  });
  assert.equal(s.signature, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  assert.equal(
    s.headers['authorization'],
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
      'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
      'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
  assert.equal(s.headers['x-amz-content-sha256'], EMPTY_SHA256);
  assert.equal(s.headers['x-amz-date'], '20130524T000000Z');
});

test('sigv4: PUT object with a body and a $ in the key (AWS example)', () => {
  const body = 'Welcome to Amazon S3.';
  const s = signV4({
    method: 'PUT',
    url: new URL(`${host}/test$file.text`),
    headers: { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
    payloadHash: sha256Hex(body),
    region: 'us-east-1',
    credentials,
    now,
  });
  assert.equal(sha256Hex(body), '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
  assert.match(s.canonicalRequest, /^PUT\n\/test%24file\.text\n/);
  assert.equal(s.signature, '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
});

test('sigv4: GET bucket lifecycle, a query key without value (AWS example)', () => {
  const s = signV4({ method: 'GET', url: new URL(`${host}/?lifecycle`), region: 'us-east-1', credentials, now });
  assert.match(s.canonicalRequest, /^GET\n\/\nlifecycle=\n/);
  assert.equal(s.signature, 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
});

test('sigv4: list objects, sorted query (AWS example)', () => {
  const s = signV4({
    method: 'GET',
    url: new URL(`${host}/?max-keys=2&prefix=J`),
    region: 'us-east-1',
    credentials,
    now,
  });
  assert.equal(s.signature, '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
});

test('sigv4: session tokens are signed, the secret never appears in the output', () => {
  const s = signV4({
    method: 'GET',
    url: new URL(`${host}/a`),
    region: 'eu-west-1',
    credentials: { ...credentials, sessionToken: 'TOKEN' },
    now,
  });
  assert.equal(s.headers['x-amz-security-token'], 'TOKEN');
  assert.match(s.headers['authorization']!, /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token/);
  assert.match(s.headers['authorization']!, /\/eu-west-1\/s3\/aws4_request/);
  assert.doesNotMatch(JSON.stringify(s), /wJalrXUtnFEMI/);
});

test('sigv4: encoding rules (no double encoding, sorted and strict query)', () => {
  assert.equal(uriEncode('a b/c~d*'), 'a%20b%2Fc~d%2A');
  assert.equal(uriEncode('a b/c', true), 'a%20b/c');
  assert.equal(uriEncode('모델'), '%EB%AA%A8%EB%8D%B8');
  assert.equal(canonicalUri(new URL('http://h/bucket/dir/a%20b(1).txt')), '/bucket/dir/a%20b%281%29.txt');
  assert.equal(
    canonicalQuery(new URL('http://h/b?prefix=a%2Fb c&list-type=2&continuation-token=x%2By%3D')),
    'continuation-token=x%2By%3D&list-type=2&prefix=a%2Fb%20c',
  );
});

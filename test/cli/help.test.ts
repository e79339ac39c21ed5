// Help is generated from the flag specs each command parses with: every flag it accepts is listed (the
// review found `apply --show-secrets` and `wait --all` accepted but undocumented), and nothing else.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPLY_FLAGS } from '../../src/cli/commands/apply.js';
import { DELETE_FLAGS } from '../../src/cli/commands/delete.js';
import { DESCRIBE_FLAGS } from '../../src/cli/commands/describe.js';
import { GET_FLAGS } from '../../src/cli/commands/get.js';
import { LOGS_FLAGS } from '../../src/cli/commands/logs.js';
import { VERSION_FLAGS } from '../../src/cli/commands/version.js';
import { WAIT_FLAGS } from '../../src/cli/commands/wait.js';
import { type FlagSpecs, formatFlags, GLOBAL_FLAGS } from '../../src/cli/flags.js';
import { commandHelp } from '../../src/cli/help.js';
import { main } from '../../src/cli/main.js';
import { loadServeConfig, SERVE_FLAGS } from '../../src/config.js';
import { captureIo } from './fake-control-api.js';

const CLIENT: Record<string, FlagSpecs> = {
  apply: APPLY_FLAGS,
  get: GET_FLAGS,
  describe: DESCRIBE_FLAGS,
  delete: DELETE_FLAGS,
  wait: WAIT_FLAGS,
  logs: LOGS_FLAGS,
  version: VERSION_FLAGS,
};

/** The `--long` names a help text lists in its flag sections. */
function listedFlags(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+)/gm)].map((m) => m[1]!);
}

async function helpOf(argv: string[]): Promise<string> {
  const c = captureIo();
  assert.equal(await main(argv, c.io), 0, c.err());
  return c.out();
}

test('every client command lists exactly the flags it parses, then the global flags', async () => {
  for (const [command, specs] of Object.entries(CLIENT)) {
    const expected = [...Object.keys(specs), ...Object.keys(GLOBAL_FLAGS)];
    assert.deepEqual(listedFlags(await helpOf([command, '--help'])), expected, command);
    // `inferd help COMMAND` is the same text.
    assert.equal(await helpOf(['help', command]), await helpOf([command, '-h']), command);
  }
  assert.match(await helpOf(['apply', '--help']), /--show-secrets {10}print Secret values/);
  assert.match(await helpOf(['wait', '--help']), /--all {19}wait for every object of TYPE/);
});

test('serve lists every flag loadServeConfig accepts except hidden ones; each listed flag parses', () => {
  const help = commandHelp('serve');
  const visible = Object.entries(SERVE_FLAGS)
    .filter(([, s]) => !('hidden' in s && s.hidden))
    .map(([name]) => name);
  assert.deepEqual(listedFlags(help), visible);
  assert.ok(help.includes('--max-body-bytes'), 'the gateway body limit is wired and advertised');
  for (const [name, spec] of Object.entries(SERVE_FLAGS)) {
    const argv = spec.type === 'string' ? [`--${name}`, name === 'pvc' ? 'c=/tmp' : '1'] : [`--${name}`];
    // Values may be out of range for the flag; what matters is that the parser knows the flag.
    try {
      loadServeConfig(argv, {});
    } catch (err) {
      assert.doesNotMatch(String(err), /Unknown option/, name);
    }
  }
  assert.throws(() => loadServeConfig(['--bogus'], {}), /Unknown option '--bogus'/);
});

test('formatFlags: short and long forms, the value name, aligned continuation lines, hidden flags left out', () => {
  const text = formatFlags({
    filename: { type: 'string', short: 'f', arg: 'PATH', help: 'a file\nor a directory' },
    quiet: { type: 'boolean', help: 'say less' },
    secret: { type: 'string', hidden: true, help: 'not listed' },
    'a-very-long-flag-name': { type: 'string', help: 'long' },
  });
  assert.equal(
    text,
    [
      '  -f, --filename PATH         a file',
      '                              or a directory',
      '      --quiet                 say less',
      '      --a-very-long-flag-name VALUE  long',
    ].join('\n'),
  );
});

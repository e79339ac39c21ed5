// `import { Model, ModelServer } from 'inferd'` resolves through package.json `exports` to the built SDK, and
// its type declarations ship beside it (package.json `types`, inside `files`).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as sdk from '../../src/index.js';
import { repoRoot } from '../helpers/paths.js';

test('the package name resolves to the SDK entry (the same module), with Model and ModelServer', async () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const byName = (await import('inferd')) as typeof sdk;
  assert.equal(byName.Model, sdk.Model);
  assert.equal(byName.ModelServer, sdk.ModelServer);
  assert.equal(typeof byName.PredictorClient, 'function');
  assert.equal(pkg.exports['.'].default, './dist/src/index.js');
});

test('type declarations ship: exports.types and types name a built .d.ts that declares Model, and files includes it', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  assert.equal(pkg.types, pkg.exports['.'].types);
  const dts = join(repoRoot, pkg.types);
  assert.ok(existsSync(dts), `${pkg.types} is built`);
  assert.match(readFileSync(dts, 'utf8'), /Model, type Payload/);
  assert.ok(existsSync(join(repoRoot, 'dist', 'src', 'sdk', 'model.d.ts')));
  assert.ok(
    (pkg.files as string[]).some((f) => pkg.types.replace(/^\.\//, '').startsWith(f)),
    'the declarations are inside a path package.json "files" ships',
  );
});

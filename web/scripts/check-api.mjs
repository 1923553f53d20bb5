#!/usr/bin/env node
// Fails when src/api/schema.d.ts is not what `npm run gen:api` makes from ../docs/openapi.json,
// so the typed client can never drift from the API document the backend publishes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const specPath = resolve(webDir, '../docs/openapi.json');
const committedPath = resolve(webDir, 'src/api/schema.d.ts');
const STALE = 'src/api/schema.d.ts is stale: run npm run gen:api';

class CheckFailed extends Error {}

/** The path of the openapi-typescript CLI, the one `npm run gen:api` runs. */
function openapiTypescriptCli() {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('openapi-typescript/package.json');
  const { bin } = JSON.parse(readFileSync(pkgPath, 'utf8'));
  return join(dirname(pkgPath), typeof bin === 'string' ? bin : bin['openapi-typescript']);
}

/** Generates the types into a temp file, with the same arguments as gen:api, and returns them. */
function generate() {
  const tmp = mkdtempSync(join(tmpdir(), 'agora-check-api-'));
  try {
    const out = join(tmp, 'schema.d.ts');
    try {
      execFileSync(process.execPath, [openapiTypescriptCli(), '../docs/openapi.json', '-o', out], {
        cwd: webDir,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (err) {
      throw new CheckFailed(`openapi-typescript could not read ../docs/openapi.json:\n${err.stderr?.toString() ?? err}`);
    }
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function check() {
  if (!existsSync(specPath)) {
    throw new CheckFailed(`${specPath} does not exist: the backend writes the OpenAPI document there`);
  }
  if (!existsSync(committedPath)) throw new CheckFailed(`src/api/schema.d.ts is missing. ${STALE}`);

  const normalize = (text) => text.replace(/\r\n/g, '\n');
  const generated = normalize(generate()).split('\n');
  const committed = normalize(readFileSync(committedPath, 'utf8')).split('\n');
  let line = 0;
  while (line < committed.length && line < generated.length && committed[line] === generated[line]) line++;
  if (line < committed.length || line < generated.length) {
    console.error(`check:api: first difference at line ${line + 1} of src/api/schema.d.ts:`);
    console.error(`  committed: ${committed[line] ?? '<end of file>'}`);
    console.error(`  generated: ${generated[line] ?? '<end of file>'}`);
    throw new CheckFailed(STALE);
  }
  console.log('check:api: src/api/schema.d.ts matches ../docs/openapi.json');
}

try {
  check();
} catch (err) {
  if (!(err instanceof CheckFailed)) throw err;
  console.error(`check:api: ${err.message}`);
  process.exitCode = 1;
}

'use strict';
// Import phase for npm: load each named package from the project in the current directory the way
// an application would: require() first, import() for ESM-only packages. Exit 1 if any failed.
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const projectRequire = createRequire(path.join(process.cwd(), 'index.js'));
const names = process.argv.slice(2);
looksLikeNode();

/**
 * To the package's code (and in ps) this process looks like `node` started in the project, the
 * REPL a developer tries a package in: no harness path in argv or the module cache, no main
 * module. The trace keeps the real argv (the exec came first). Same in execute-npm.cjs.
 */
function looksLikeNode() {
  process.title = 'node';
  process.argv.splice(1);
  process.mainModule = undefined;
  delete require.cache[__filename];
}

// Pick the ESM entry from package.json exports/module/main (import/node/default conditions).
function esmEntry(name) {
  const dir = path.join(process.cwd(), 'node_modules', name);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const pick = (e) => {
    if (typeof e === 'string') return e;
    if (Array.isArray(e)) { for (const x of e) { const r = pick(x); if (r) return r; } return undefined; }
    if (e && typeof e === 'object') {
      if ('.' in e) return pick(e['.']);
      for (const c of ['import', 'node', 'default', 'require']) if (c in e) { const r = pick(e[c]); if (r) return r; }
    }
    return undefined;
  };
  const rel = pick(pkg.exports) || pkg.module || pkg.main || 'index.js';
  return path.resolve(dir, rel);
}

async function load(name) {
  try {
    projectRequire(name);
    return 'require';
  } catch (err) {
    const esm = ['ERR_REQUIRE_ESM', 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'MODULE_NOT_FOUND', 'ERR_REQUIRE_ASYNC_MODULE'];
    if (!esm.includes(err && err.code)) throw err;
    await import(pathToFileURL(esmEntry(name)).href);
    return 'import';
  }
}

(async () => {
  let failed = 0;
  for (const name of names) {
    try {
      const how = await load(name);
      console.log(`vetbox-import ok ${name} (${how})`);
    } catch (err) {
      failed++;
      console.error(`vetbox-import failed ${name}: ${err && err.stack ? err.stack : err}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
})();

'use strict';
// Import phase for npm: load each named package from the project in the current directory the way
// an application would: require() first, import() for ESM-only packages. Exit 1 if any failed.
//
// What the package's code sees of this harness is what `node -e "require('pkg')"` shows it: the
// harness runs as `[eval]` code (compiled again from this file, started from a timer), so no
// frame of a stack names this file; no harness path in argv, require.main or require.cache
// (looksLikeNode); nothing printed on success, a failure printed as node prints an uncaught error.
if (typeof asEval === 'undefined') {
  const source = require('node:fs').readFileSync(__filename, 'utf8');
  const harness = require('node:vm').runInThisContext(`(function (asEval, require, __filename, esmImport) {${source}\n})`, { filename: '[eval]' });
  // vm code has no loader for import(): it goes through this file's (its frames are async, never below the package's).
  return void setImmediate(harness, true, require, __filename, (url) => import(url));
}
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const projectRequire = createRequire(path.join(process.cwd(), 'index.js'));
const names = process.argv.slice(2);
// Taken before any package code runs: a package that wraps console or process.stderr sees nothing of ours.
const writeSync = fs.writeSync;
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
  } catch (err) {
    const esm = ['ERR_REQUIRE_ESM', 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'MODULE_NOT_FOUND', 'ERR_REQUIRE_ASYNC_MODULE'];
    if (!esm.includes(err && err.code)) throw err;
    await esmImport(pathToFileURL(esmEntry(name)).href);
  }
}

(async () => {
  let failed = 0;
  for (const name of names) {
    try {
      await load(name);
    } catch (err) {
      failed++;
      const text = Buffer.from(`${util.inspect(err)}\n`);
      for (let at = 0; at < text.length;) at += writeSync(2, text, at);
    }
  }
  process.exitCode = failed ? 1 : 0;
})();

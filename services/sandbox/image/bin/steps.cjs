'use strict';
// Runs a phase's steps one after another, as a user types them at a shell: each in the
// foreground on the session's terminal, in its directory, with its environment, the next once it
// has ended. The idle phase installs and imports again this way (services/sandbox
// phases/commands.ts `againCommand`), so the package's install scripts see the same `npm install`
// (argv, npm_* environment, directory) as in the install phase, under a process that looks like
// the user's shell in ps ("bash"), not a harness path. The trace keeps this process's real argv
// (the exec happened before the rename): the behavior model knows it as ours (isHarnessShell).
// A step `--python <script> <args>` runs a plain `python3` that reads the script from stdin (with
// sys.argv set to ['', <args>...]; stdin is /dev/null once it is read): the PyPI import and
// execute harnesses, which then show package code no harness path in ps, sys.argv or __main__.
//   steps.cjs <argv of step 1> ';' <argv of step 2> ...        exit status: the last step's
const { spawn } = require('node:child_process');
const fs = require('node:fs');

process.title = 'bash';

function steps(args) {
  const out = [[]];
  for (const a of args) {
    if (a === ';') out.push([]);
    else out[out.length - 1].push(a);
  }
  return out.filter((s) => s.length > 0);
}

/** Python compiles the whole of stdin before it runs any of it: the preamble can take stdin away. */
const pythonSource = (script, args) =>
  `import os, sys; sys.argv[:] = ${JSON.stringify(['', ...args])}; os.dup2(os.open(os.devnull, os.O_RDONLY), 0)\n${fs.readFileSync(script, 'utf8')}`;

function run(argv) {
  return new Promise((resolve) => {
    const python = argv[0] === '--python';
    const child = python ? spawn('python3', [], { stdio: ['pipe', 'inherit', 'inherit'] }) : spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    if (python) {
      child.stdin.on('error', () => {});
      child.stdin.end(pythonSource(argv[1], argv.slice(2)));
    }
    child.on('error', (err) => {
      process.stderr.write(`bash: ${argv[0]}: ${err.code === 'ENOENT' ? 'command not found' : err.message}\n`);
      resolve(err.code === 'ENOENT' ? 127 : 126);
    });
    child.on('close', (code, signal) => resolve(code ?? 128 + (require('node:os').constants.signals[signal] ?? 0)));
  });
}

(async () => {
  let status = 0;
  for (const argv of steps(process.argv.slice(2))) status = await run(argv);
  process.exitCode = status;
})();

// Runs the `vetbox` bin as a user would (`npx vetbox ...` from the repository), capturing output.
import { spawn } from 'node:child_process';
import { REPO_ROOT } from './processes.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `env` is added to this process's environment. */
export function runVetbox(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 280_000;
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'vetbox', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error(`vetbox ${args.join(' ')} still running after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

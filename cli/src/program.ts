import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import type { CommandModule } from './command.js';
import type { CliContext } from './context.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// .ts when run from source (tests), .js when built.
const ownExtension = path.extname(fileURLToPath(import.meta.url));

/** Command files in src/commands (or dist/commands), tests and declarations left out. */
export function commandFiles(dir = path.join(here, 'commands'), extension = ownExtension): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(extension) && !f.endsWith(`.d${extension}`) && !f.includes('.test.'))
    .sort()
    .map((f) => path.join(dir, f));
}

function isCommandModule(mod: unknown): mod is CommandModule {
  return typeof (mod as Partial<CommandModule>)?.register === 'function';
}

export async function buildProgram(ctx: CliContext, files = commandFiles()): Promise<Command> {
  const program = new Command('vetbox')
    .description('Detonate npm and PyPI packages in a traced sandbox and explain what they do.')
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    });
  for (const file of files) {
    const mod: unknown = await import(pathToFileURL(file).href);
    if (!isCommandModule(mod)) throw new Error(`${path.basename(file)} does not export register(program, ctx)`);
    mod.register(program, ctx);
  }
  return program;
}

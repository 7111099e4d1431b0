import type { Command } from 'commander';
import type { CliContext } from './context.js';

/**
 * Each file in src/commands/ exports `register`, which adds its command(s) to the program.
 * main.ts loads every file there, so adding a command means adding one file.
 */
export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

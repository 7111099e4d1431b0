import { CommanderError, type Command } from 'commander';
import type { Verdict } from '@vetbox/contracts';

/** The process exit code is the verdict, so scripts and CI can gate on it. */
export const EXIT = {
  benign: 0,
  suspicious: 1,
  malicious: 2,
  /** Bad target, unreachable server, failed or cancelled analysis, or a report with verdict `error`. */
  error: 3,
} as const;

export function exitCodeFor(verdict: Verdict): number {
  switch (verdict) {
    case 'benign':
      return EXIT.benign;
    case 'suspicious':
      return EXIT.suspicious;
    case 'malicious':
      return EXIT.malicious;
    case 'error':
      return EXIT.error;
    default: {
      const exhaustive: never = verdict;
      return exhaustive;
    }
  }
}


/**
 * Commander exits 1 on a usage error (missing argument, unknown option), which for `analyze`
 * would read as "suspicious". Each command says which code its usage errors get; the error is
 * rethrown with that code and main.ts exits with it (commander already printed the message).
 * Help and version output keep exit code 0.
 */
export function usageErrorsExit<C extends Command>(command: C, code: number): C {
  return command.exitOverride((err: CommanderError) => {
    throw new CommanderError(err.exitCode === 0 ? 0 : code, err.code, err.message);
  });
}

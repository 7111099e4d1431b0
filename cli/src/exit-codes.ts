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


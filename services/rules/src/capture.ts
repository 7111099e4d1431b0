import type { CaptureReason, FileChange } from '@vetbox/contracts';
import { CACHE_AREAS, classify, PERSISTENCE_LOCATIONS } from './paths.js';

/** Where the sandbox's workstation lives: enough to read a path as the rules do. */
export interface CaptureLayout {
  home: string;
  workdir: string;
  /** The package's own install directories. */
  packageDirs: readonly string[];
}

/** A planted git hook, and files that set where hooks come from. */
const GIT_HOOKS = /\/\.git\/hooks\/[^/.]+$|^~\/\.gitconfig$|^~\/\.config\/git\/config$/;
const SCRIPT_EXT = /\.(sh|bash|zsh|py|pyw|js|cjs|mjs|pl|rb|php|ps1|psm1|bat|cmd|vbs|exe|dll|scr|bin|elf|so|dylib|app|command|desktop)$/i;
/** Installed code and caches: the package manager's and the package's own files. */
const INSTALLED = /\/node_modules\/|\/(site|dist)-packages\/(?!.*\.pth$)(?!(sitecustomize|usercustomize)\.py$)|^\/tmp\/pip-|^~\/\.local\/bin\//;

/**
 * Which of a phase's changed files the sandbox captures, and why: anything written to a place
 * that runs code later (PERSISTENCE_LOCATIONS, git hooks), and scripts and executables dropped
 * outside the installed packages and caches (a downloaded stage two, a binary for later).
 */
export function contentSelector(layout: CaptureLayout): (changes: readonly FileChange[]) => Array<{ path: string; reason: CaptureReason }> {
  const home = layout.home.replace(/\/$/, '');
  const own = [...layout.packageDirs, `${layout.workdir}/node_modules`].map((d) => d.replace(/\/$/, ''));
  const shown = (p: string) => (p === home ? '~' : p.startsWith(`${home}/`) ? `~${p.slice(home.length)}` : p);
  return (changes) => {
    const out: Array<{ path: string; reason: CaptureReason }> = [];
    const seen = new Set<string>();
    for (const c of changes) {
      if (c.kind === 'deleted' || seen.has(c.path)) continue;
      const display = shown(c.path);
      let reason: CaptureReason | undefined;
      if (classify(display, PERSISTENCE_LOCATIONS) || GIT_HOOKS.test(display)) reason = 'persistence';
      else if (own.some((d) => c.path === d || c.path.startsWith(`${d}/`)) || INSTALLED.test(display)) continue;
      else if (CACHE_AREAS.some((re) => re.test(display))) continue;
      else if (c.executable) reason = 'executable';
      else if (SCRIPT_EXT.test(display)) reason = 'script';
      if (!reason) continue;
      seen.add(c.path);
      out.push({ path: c.path, reason });
    }
    return out;
  };
}

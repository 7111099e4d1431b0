import { createReadStream, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export interface ArchiveFile {
  /** Path inside the archive (relative, forward slashes). */
  path: string;
  content: string | Buffer;
  mode?: number;
  /** A symlink to this target (content ignored). A path ending in `/` is a directory. */
  linkname?: string;
}

export interface PackOptions {
  /** Uid and gid of every entry (default 0): a root extraction then leaves them the user's. */
  owner?: number;
  /** Host paths under `dirs` left out, with everything below them. */
  exclude?: string[];
}

/**
 * A tar stream for Docker's archive API (or tar in the container): `files` (in memory) plus the
 * host directories in `dirs` (archive prefix → host dir), copied as they are: symlinks stay
 * symlinks, never followed.
 */
export function packArchive(files: ArchiveFile[], dirs: Record<string, string>, opts: PackOptions = {}): tar.Pack {
  // Names are checked before anything is packed: a bad one throws here, synchronously.
  const named = files.map((f) => ({ ...f, name: safeName(f.path) }));
  const prefixes = Object.entries(dirs).map(([prefix, dir]) => [safeName(prefix), dir] as const);
  const pack = ownedPack(opts.owner ?? 0);
  const seenDirs = new Set<string>();
  void (async () => {
    for (const f of named) {
      const name = f.name;
      const parents = name.split('/').slice(0, -1);
      for (let i = 1; i <= parents.length; i++) {
        const dir = parents.slice(0, i).join('/');
        if (seenDirs.has(dir)) continue;
        seenDirs.add(dir);
        pack.entry({ name: dir, type: 'directory', mode: parents[i - 1] === '.ssh' ? 0o700 : 0o755 });
      }
      if (f.linkname !== undefined) pack.entry({ name, type: 'symlink', linkname: f.linkname, mode: 0o777 });
      else if (f.path.endsWith('/')) {
        if (!seenDirs.has(name)) pack.entry({ name, type: 'directory', mode: f.mode ?? 0o755 });
        seenDirs.add(name);
      } else pack.entry({ name, mode: f.mode ?? 0o644 }, typeof f.content === 'string' ? Buffer.from(f.content) : f.content);
    }
    for (const [prefix, dir] of prefixes) await addDir(pack, prefix, dir, new Set(opts.exclude?.map((p) => path.resolve(p))));
    pack.finalize();
  })().catch((err) => pack.destroy(err as Error));
  return pack;
}

/** A tar pack whose entries all carry `owner` as uid and gid. */
function ownedPack(owner: number): tar.Pack {
  const pack = tar.pack();
  if (owner === 0) return pack;
  const entry = pack.entry.bind(pack) as (header: tar.Header, ...rest: unknown[]) => ReturnType<tar.Pack['entry']>;
  pack.entry = ((header: tar.Header, ...rest: unknown[]) => entry({ ...header, uid: owner, gid: owner }, ...rest)) as tar.Pack['entry'];
  return pack;
}

function safeName(p: string): string {
  const norm = path.posix.normalize(p.replace(/\\/g, '/')).replace(/^\/+/, '');
  if (norm === '..' || norm.startsWith('../')) throw new Error(`path escapes the archive: ${p}`);
  return norm;
}

/** Files up to this size are read whole; larger ones are streamed (the consumer's pace). */
const READ_WHOLE_BYTES = 256 * 1024;

/**
 * The tree under `dir` as entries under `prefix`. Metadata and small files are read synchronously:
 * a staged project is hundreds of links and small files, and one event-loop hop per syscall
 * costs more than the syscalls on a loaded machine.
 */
async function addDir(pack: tar.Pack, prefix: string, dir: string, exclude: Set<string>): Promise<void> {
  pack.entry({ name: prefix, type: 'directory', mode: 0o755 });
  const walk = async (rel: string): Promise<void> => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, relPath);
      if (exclude.has(path.resolve(abs))) continue;
      const st = lstatSync(abs);
      const entryName = `${prefix}/${relPath}`;
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        pack.entry({ name: entryName, type: 'directory', mode });
        await walk(relPath);
      } else if (st.isSymbolicLink()) {
        pack.entry({ name: entryName, type: 'symlink', linkname: readlinkSync(abs), mode });
      } else if (st.isFile() && st.size <= READ_WHOLE_BYTES) {
        const content = readFileSync(abs);
        pack.entry({ name: entryName, size: content.length, mode, mtime: st.mtime }, content);
      } else if (st.isFile()) {
        const entry = pack.entry({ name: entryName, size: st.size, mode, mtime: st.mtime });
        await pipeline(createReadStream(abs), entry);
      }
    }
  };
  await walk('');
}

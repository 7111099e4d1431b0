import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Request } from 'express';
import { VetboxError } from '@vetbox/contracts';

export interface ReceivedUpload {
  /** Temporary path under DATA_DIR/uploads; the caller moves or removes it. */
  tempPath: string;
  /** The client's file name: for messages only, never a path. */
  originalName: string;
  size: number;
  fields: Record<string, string>;
}

/** Multipart overhead allowed on top of the file itself before Content-Length is refused. */
const MULTIPART_SLACK = 64 * 1024;

/**
 * Streams the one `file` part of a multipart/form-data request to disk, enforcing the size limit
 * while it streams (and up front from Content-Length), so a 200 MB body never lands anywhere.
 */
export async function receiveUpload(req: Request, opts: { dataDir: string; maxBytes: number }): Promise<ReceivedUpload> {
  const declared = Number(req.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes + MULTIPART_SLACK) {
    // Do not read the body to keep the connection alive: close it after the answer.
    req.res?.setHeader('Connection', 'close');
    throw tooLarge(opts.maxBytes, declared);
  }
  const dir = path.join(opts.dataDir, 'uploads');
  await mkdir(dir, { recursive: true });
  const tempPath = path.join(dir, `${randomUUID()}.part`);

  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      limits: { files: 1, fileSize: opts.maxBytes, fields: 10, fieldSize: 1024, parts: 12, headerPairs: 50 },
    });
  } catch (err) {
    throw new VetboxError('INVALID_INPUT', `malformed multipart request: ${(err as Error).message}`);
  }

  return new Promise<ReceivedUpload>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: Promise<{ size: number; truncated: boolean; name: string }> | undefined;
    let failed = false;
    let fileStream: NodeJS.ReadableStream & { destroy?: () => void } | undefined;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      fileStream?.destroy?.();
      // Drain what the client still sends so it can read our answer, then close the connection.
      req.res?.setHeader('Connection', 'close');
      req.resume();
      void rm(tempPath, { force: true }).finally(() => reject(err));
    };

    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (fieldName, stream, info) => {
      if (fieldName !== 'file') {
        stream.resume();
        fail(new VetboxError('INVALID_INPUT', `unexpected file field "${fieldName.slice(0, 50)}": send the archive as "file"`));
        return;
      }
      fileStream = stream;
      let size = 0;
      let truncated = false;
      stream.on('data', (chunk: Buffer) => (size += chunk.length));
      stream.on('limit', () => {
        truncated = true;
        fail(tooLarge(opts.maxBytes));
      });
      file = pipeline(stream, createWriteStream(tempPath, { flags: 'wx', mode: 0o600 })).then(() => ({
        size,
        truncated,
        name: info.filename ?? '',
      }));
      file.catch((err: Error) => fail(err));
    });
    bb.on('filesLimit', () => fail(new VetboxError('INVALID_INPUT', 'only one file per request')));
    bb.on('partsLimit', () => fail(new VetboxError('INVALID_INPUT', 'too many form parts')));
    bb.on('fieldsLimit', () => fail(new VetboxError('INVALID_INPUT', 'too many form fields')));
    bb.on('error', (err: Error) => fail(new VetboxError('INVALID_INPUT', `malformed multipart body: ${err.message}`)));
    bb.on('close', () => {
      if (failed) return;
      if (!file) {
        fail(new VetboxError('INVALID_INPUT', 'multipart body has no "file" part'));
        return;
      }
      file.then(
        (f) => {
          if (failed || f.truncated) return;
          if (f.size === 0) return fail(new VetboxError('BAD_ARCHIVE', 'bad archive: the uploaded file is empty'));
          resolve({ tempPath, originalName: f.name, size: f.size, fields });
        },
        () => {},
      );
    });
    req.on('aborted', () => fail(new VetboxError('INVALID_INPUT', 'upload aborted by the client')));
    req.pipe(bb);
  });
}

/** Validated archives are stored by content: DATA_DIR/artifacts/<sha256>/<canonical file name>. */
export async function storeValidatedUpload(dataDir: string, tempPath: string, sha256: string, fileName: string): Promise<string> {
  const dir = path.join(dataDir, 'artifacts', sha256);
  await mkdir(dir, { recursive: true });
  const dest = path.join(dir, path.basename(fileName));
  await rename(tempPath, dest);
  return dest;
}

function tooLarge(maxBytes: number, declared?: number): VetboxError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new VetboxError(
    'ARCHIVE_TOO_LARGE',
    declared ? `request body of ${mb(declared)} is over the ${mb(maxBytes)} upload limit` : `upload is over the ${mb(maxBytes)} limit`,
  );
}

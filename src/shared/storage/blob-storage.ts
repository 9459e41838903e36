import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where evidence files are kept: flat keys to opaque bytes, written once. The evidence module stores each file
 * under a temporary key while it is checked, then moves it to its content address (its SHA-256); nothing else
 * is known here of what the bytes are (they arrive encrypted: encrypted-file.ts).
 */
export interface BlobStorage {
  /** Writes the whole stream under `key` (replacing any object there); rejects if the stream fails. */
  put(key: string, body: Readable): Promise<void>;
  /** The bytes under `key`, streamed; null when there is none. */
  get(key: string): Promise<Readable | null>;
  has(key: string): Promise<boolean>;
  /** Moves `from` to `to` (an object already at `to` is replaced). */
  move(from: string, to: string): Promise<void>;
  /** Removes `key`; nothing to remove is not an error. */
  delete(key: string): Promise<void>;
  /** Where the files are, for logs and messages (never a secret). */
  readonly description: string;
}

const KEY = /^[a-z0-9][a-z0-9._-]{0,199}$/;

export function assertKey(key: string): void {
  // The keys are made by the server (a hash, a UUID); this guards the folder against anything else.
  if (!KEY.test(key)) throw new Error(`Invalid storage key "${key}"`);
}

/** Files in a folder of the local disk, one per key; a move is a rename within the folder (atomic). */
export class LocalBlobStorage implements BlobStorage {
  constructor(readonly dir: string) {}

  get description(): string {
    return `local folder ${this.dir}`;
  }

  pathOf(key: string): string {
    assertKey(key);
    return path.join(this.dir, key);
  }

  async put(key: string, body: Readable): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Written beside its name and renamed, so that a reader never sees half a file under `key`.
    const partial = this.pathOf(`${key}.partial-${randomUUID()}`);
    try {
      await pipeline(body, fs.createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
      await fs.promises.rename(partial, this.pathOf(key));
    } catch (error) {
      await fs.promises.rm(partial, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Readable | null> {
    try {
      const handle = await fs.promises.open(this.pathOf(key), 'r');
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async move(from: string, to: string): Promise<void> {
    await fs.promises.rename(this.pathOf(from), this.pathOf(to));
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }
}

import { createCipheriv, createDecipheriv, DecipherGCM, randomBytes } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

/*
 * Evidence files at rest: AES-256-GCM, streamed. A stored file is
 *   "ECAEVID1" (8 bytes) | IV (12 random bytes, one per file) | ciphertext | auth tag (16 bytes)
 * with the file's content address (its SHA-256, hex) as additional authenticated data, so that a file moved
 * to another address fails like an altered one. The key (EVIDENCE_ENCRYPTION_KEY) is never in the database.
 */
const MAGIC = Buffer.from('ECAEVID1', 'latin1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + IV_BYTES;
/** Bytes a stored file has beyond its content. */
export const ENCRYPTION_OVERHEAD = HEADER_BYTES + TAG_BYTES;

/** The stored file does not decrypt: altered, truncated, under another key or at another address. */
export class IntegrityError extends Error {}

export function encryptingStream(key: Buffer, address: string): Transform {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(address, 'latin1'));
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      if (!started) {
        started = true;
        this.push(Buffer.concat([MAGIC, iv]));
      }
      done(null, cipher.update(chunk));
    },
    flush(done: TransformCallback) {
      if (!started) this.push(Buffer.concat([MAGIC, iv]));
      const last = cipher.final();
      done(null, Buffer.concat([last, cipher.getAuthTag()]));
    },
  });
}

/**
 * The content of a stored file. Its last 16 bytes (the tag) are held back until the end, where the tag is
 * checked: a stream that ends without an error has passed the check. Bytes are passed on before that check:
 * callers that must not release unchecked bytes read the file through once first (evidence-content.service.ts).
 */
export function decryptingStream(key: Buffer, address: string): Transform {
  let header: Buffer = Buffer.alloc(0);
  let decipher: DecipherGCM | undefined;
  let held: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      try {
        if (!decipher) {
          header = Buffer.concat([header, chunk]);
          if (header.length < HEADER_BYTES) return done();
          if (!header.subarray(0, MAGIC.length).equals(MAGIC))
            throw new IntegrityError('the stored file is not an encrypted evidence file (wrong header)');
          decipher = createDecipheriv('aes-256-gcm', key, header.subarray(MAGIC.length, HEADER_BYTES));
          decipher.setAAD(Buffer.from(address, 'latin1'));
          chunk = header.subarray(HEADER_BYTES);
        }
        held = held.length ? Buffer.concat([held, chunk]) : chunk;
        if (held.length <= TAG_BYTES) return done();
        const ready = held.subarray(0, held.length - TAG_BYTES);
        held = Buffer.from(held.subarray(held.length - TAG_BYTES));
        done(null, decipher.update(ready));
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      if (!decipher || held.length < TAG_BYTES) {
        return done(new IntegrityError('the stored file is truncated (no complete header and auth tag)'));
      }
      try {
        decipher.setAuthTag(held);
        done(null, decipher.final());
      } catch {
        done(
          new IntegrityError(
            'the stored file fails its AES-GCM authentication: it was altered or is not this evidence',
          ),
        );
      }
    },
  });
}

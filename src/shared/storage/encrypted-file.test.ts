import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decryptingStream, ENCRYPTION_OVERHEAD, encryptingStream, IntegrityError } from './encrypted-file';

const KEY = randomBytes(32);
const ADDRESS = 'a'.repeat(64);

async function through(input: Buffer, transform: NodeJS.ReadWriteStream, chunkBytes = 1000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const parts = Array.from({ length: Math.ceil(input.length / chunkBytes) }, (_, i) =>
    input.subarray(i * chunkBytes, (i + 1) * chunkBytes),
  );
  await pipeline(
    Readable.from(parts),
    transform,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(chunks);
}

describe('encrypted evidence files', () => {
  const content = randomBytes(50_000);
  let stored: Buffer;

  beforeAll(async () => {
    stored = await through(content, encryptingStream(KEY, ADDRESS));
  });

  it('decrypt to their content, whatever the chunking, with a fixed overhead and a random IV', async () => {
    expect(stored.length).toBe(content.length + ENCRYPTION_OVERHEAD);
    for (const chunkBytes of [1, 7, 16, 17, 4096, 100_000])
      expect((await through(stored, decryptingStream(KEY, ADDRESS), chunkBytes)).equals(content)).toBe(true);
    const again = await through(content, encryptingStream(KEY, ADDRESS));
    expect(again.subarray(8, 20).equals(stored.subarray(8, 20))).toBe(false);
  });

  it.each([
    ['the header', 0],
    ['the IV', 10],
    ['the ciphertext', 5000],
    ['the auth tag', -1],
  ])('fail when a bit of %s is flipped', async (_part, offset) => {
    const altered = Buffer.from(stored);
    altered[offset < 0 ? altered.length + offset : offset] ^= 0x01;
    await expect(through(altered, decryptingStream(KEY, ADDRESS))).rejects.toBeInstanceOf(IntegrityError);
  });

  it('fail truncated, under another key, or at another address', async () => {
    await expect(through(stored.subarray(0, stored.length - 1), decryptingStream(KEY, ADDRESS))).rejects.toBeInstanceOf(
      IntegrityError,
    );
    await expect(through(stored.subarray(0, 10), decryptingStream(KEY, ADDRESS))).rejects.toBeInstanceOf(
      IntegrityError,
    );
    await expect(through(stored, decryptingStream(randomBytes(32), ADDRESS))).rejects.toBeInstanceOf(IntegrityError);
    await expect(through(stored, decryptingStream(KEY, 'b'.repeat(64)))).rejects.toBeInstanceOf(IntegrityError);
  });
});

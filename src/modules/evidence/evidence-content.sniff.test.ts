import { sniffMediaType } from './evidence-content.sniff';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

describe('sniffMediaType', () => {
  it.each([
    ['application/pdf', bytes('%PDF-1.4\n')],
    ['image/jpeg', bytes([0xff, 0xd8, 0xff, 0xe1], 'Exif')],
    ['image/png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])],
    ['image/gif', bytes('GIF89a', [1, 0])],
    ['image/webp', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ')],
    ['image/tiff', bytes('II*\0', [8, 0, 0, 0])],
    ['video/mp4', bytes([0, 0, 0, 0x18], 'ftypisom')],
    ['video/quicktime', bytes([0, 0, 0, 0x14], 'ftypqt  ')],
    ['image/heic', bytes([0, 0, 0, 0x18], 'ftypheic')],
    ['application/zip', bytes('PK\x03\x04', [20, 0])],
    ['text/plain; charset=utf-8', Buffer.from('Chat with the seller:\r\n\t“where is the factory?” 工厂在义乌\n')],
  ])('reads %s from the first bytes', (mediaType, head) => {
    expect(sniffMediaType(head, true)).toEqual({ accepted: true, mediaType });
  });

  it('reads text whose last character is cut by the end of a partial head, not of a complete file', () => {
    const text = Buffer.from('义乌'); // 6 bytes, two characters of three
    expect(sniffMediaType(text.subarray(0, 4), false)).toEqual({
      accepted: true,
      mediaType: 'text/plain; charset=utf-8',
    });
    expect(sniffMediaType(text.subarray(0, 4), true)).toMatchObject({ accepted: false });
  });

  it.each([
    ['an ELF executable', bytes('\x7fELF', [2, 1, 1])],
    ['a Windows executable (MZ)', bytes('MZ', [0x90, 0])],
    ['a gzip archive', bytes([0x1f, 0x8b, 8, 0])],
    ['unrecognised binary content (first bytes 0001020304050607)', bytes([0, 1, 2, 3, 4, 5, 6, 7, 8])],
    ['unrecognised binary content (first bytes 48656c6c6f00)', bytes('Hello\0')],
  ])('refuses %s', (detected, head) => {
    expect(sniffMediaType(head, true)).toEqual({ accepted: false, detected });
  });
});

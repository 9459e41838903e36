/**
 * The media type of an evidence file, read from its first bytes (never from a name or a client's header): the
 * formats evidence comes in. Anything else is refused with what it looks like.
 */
export type Sniffed = { accepted: true; mediaType: string } | { accepted: false; detected: string };

/** Bytes read before deciding (text is judged on this much). */
export const SNIFF_BYTES = 4096;

const ascii = (text: string) => Buffer.from(text, 'latin1');
const at = (head: Buffer, offset: number, bytes: Buffer) =>
  head.length >= offset + bytes.length && head.subarray(offset, offset + bytes.length).equals(bytes);

const SIGNATURES: { mediaType: string; matches: (head: Buffer) => boolean }[] = [
  { mediaType: 'application/pdf', matches: (h) => at(h, 0, ascii('%PDF-')) },
  { mediaType: 'image/jpeg', matches: (h) => at(h, 0, Buffer.from([0xff, 0xd8, 0xff])) },
  { mediaType: 'image/png', matches: (h) => at(h, 0, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { mediaType: 'image/gif', matches: (h) => at(h, 0, ascii('GIF87a')) || at(h, 0, ascii('GIF89a')) },
  { mediaType: 'image/webp', matches: (h) => at(h, 0, ascii('RIFF')) && at(h, 8, ascii('WEBP')) },
  { mediaType: 'image/tiff', matches: (h) => at(h, 0, ascii('II*\0')) || at(h, 0, ascii('MM\0*')) },
  { mediaType: 'video/quicktime', matches: (h) => at(h, 4, ascii('ftypqt  ')) },
  { mediaType: 'image/heic', matches: (h) => at(h, 4, ascii('ftypheic')) || at(h, 4, ascii('ftypmif1')) },
  { mediaType: 'video/mp4', matches: (h) => at(h, 4, ascii('ftyp')) },
  // ZIP, and what is made of it (docx, xlsx, odt, ...): an archive of local file headers, or an empty one.
  { mediaType: 'application/zip', matches: (h) => at(h, 0, ascii('PK\x03\x04')) || at(h, 0, ascii('PK\x05\x06')) },
];

/** Formats recognised only to say what was refused. */
const REFUSED: { detected: string; matches: (head: Buffer) => boolean }[] = [
  { detected: 'an ELF executable', matches: (h) => at(h, 0, ascii('\x7fELF')) },
  { detected: 'a Windows executable (MZ)', matches: (h) => at(h, 0, ascii('MZ')) },
  { detected: 'a Mach-O executable', matches: (h) => at(h, 0, Buffer.from([0xcf, 0xfa, 0xed, 0xfe])) },
  { detected: 'a gzip archive', matches: (h) => at(h, 0, Buffer.from([0x1f, 0x8b])) },
  { detected: 'a 7-Zip archive', matches: (h) => at(h, 0, Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) },
  { detected: 'a RAR archive', matches: (h) => at(h, 0, ascii('Rar!\x1a\x07')) },
];

/**
 * `head`: the first SNIFF_BYTES of the file (fewer when the file is shorter; `complete` then says so, and a
 * multi-byte character cut at the end of a partial head is not held against text).
 */
export function sniffMediaType(head: Buffer, complete: boolean): Sniffed {
  for (const signature of SIGNATURES)
    if (signature.matches(head)) return { accepted: true, mediaType: signature.mediaType };
  for (const known of REFUSED) if (known.matches(head)) return { accepted: false, detected: known.detected };
  if (isUtf8Text(head, complete)) return { accepted: true, mediaType: 'text/plain; charset=utf-8' };
  return {
    accepted: false,
    detected: `unrecognised binary content (first bytes ${head.subarray(0, 8).toString('hex')})`,
  };
}

function isUtf8Text(head: Buffer, complete: boolean): boolean {
  // Tab, line feed, form feed, carriage return and printable characters only; no NUL or other controls.
  for (const byte of head) if ((byte < 0x20 && ![0x09, 0x0a, 0x0c, 0x0d].includes(byte)) || byte === 0x7f) return false;
  let end = head.length;
  if (!complete) {
    // A character cut by the end of the head: drop its leading bytes (at most 3) before checking.
    let back = 0;
    while (back < 3 && end - back - 1 >= 0 && (head[end - back - 1] & 0xc0) === 0x80) back += 1;
    if (end - back - 1 >= 0 && head[end - back - 1] >= 0xc0) end = end - back - 1;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

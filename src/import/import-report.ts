import fs from 'node:fs';
import type { ImportFormat } from './import-source.js';

/** A row left out of an import, and why: the line of the file where it starts, the field at fault, the reason. */
export interface Rejection {
  line: number;
  field: string;
  reason: string;
}

/** `FILE.rejected.csv` (or `.jsonl`) beside the imported file. */
export function reportPath(file: string, format: ImportFormat): string {
  return `${file}.rejected.${format}`;
}

const csvCell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/**
 * The report of rejected rows, one per line (reasons are kept on one line). Written before the chunk whose rows
 * it names commits; on a resume it is first cut back to the lines already committed (lines_done), so that
 * after any interruption it names each rejected row once.
 */
export class RejectionReport {
  private readonly fd: number;
  private pending: string[] = [];
  /** The report's size once the last chunk committed: what a chunk tried again starts from. */
  private committedSize: number;
  /** Entries of the rows rejected in committed chunks. */
  written = 0;
  private unconfirmed = 0;

  constructor(
    readonly path: string,
    private readonly format: ImportFormat,
    linesDone: number,
  ) {
    const kept = linesDone > 0 && fs.existsSync(path) ? keptLines(fs.readFileSync(path, 'utf8'), linesDone) : [];
    const header = format === 'csv' ? ['line,field,reason'] : [];
    fs.writeFileSync(path, [...header, ...kept].map((l) => `${l}\n`).join(''));
    this.written = kept.length;
    this.fd = fs.openSync(path, 'a');
    this.committedSize = fs.fstatSync(this.fd).size;
  }

  /** Forgets what a chunk that did not commit wrote (its transaction is tried again). */
  rewind(): void {
    this.pending = [];
    this.unconfirmed = 0;
    fs.ftruncateSync(this.fd, this.committedSize);
  }

  /** The chunk whose entries were flushed has committed. */
  confirm(): void {
    this.committedSize = fs.fstatSync(this.fd).size;
    this.written += this.unconfirmed;
    this.unconfirmed = 0;
  }

  add({ line, field, reason }: Rejection): void {
    const oneLine = reason.replace(/\s*[\r\n]+\s*/g, ' ');
    this.pending.push(
      this.format === 'csv'
        ? `${line},${csvCell(field)},${csvCell(oneLine)}\n`
        : `${JSON.stringify({ line, field, reason: oneLine })}\n`,
    );
  }

  /** Writes what was added, to the disk (before the chunk commits). */
  flush(): void {
    if (!this.pending.length) return;
    fs.writeSync(this.fd, this.pending.join(''));
    fs.fsyncSync(this.fd);
    this.unconfirmed += this.pending.length;
    this.pending = [];
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** The report's entries (header left out) for lines up to `linesDone`: each entry starts with its line number. */
function keptLines(text: string, linesDone: number): string[] {
  return text.split('\n').filter((entry) => {
    const line = Number(/^(?:\{"line":)?(\d+)[,}]/.exec(entry)?.[1] ?? NaN);
    return Number.isInteger(line) && line <= linesDone;
  });
}

// How an export's rows are written: as CSV (cells quoted, formulas defused) or as JSON lines, each value
// after its column's type.

export type ExportFormat = 'csv' | 'jsonl';

export type Row = Record<string, unknown>;

export interface Column {
  name: string;
  /** `money`: a list of {amount, currency}; `list`: a list of strings. */
  type?: 'money' | 'list' | 'number' | 'date';
}

const toIso = (value: unknown) =>
  value === null || value === undefined
    ? null
    : (value instanceof Date ? value : new Date(String(value))).toISOString();

function jsonValue(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return column.type === 'money' || column.type === 'list' ? [] : null;
  if (column.type === 'date') return toIso(value);
  if (column.type === 'number') return Number(value);
  if (column.type === 'money')
    return (value as { amount: number | string; currency: string }[]).map((m) => ({
      amount: Number(m.amount),
      currency: m.currency,
    }));
  return value;
}

/** A CSV cell: quoted when needed; text that a spreadsheet would run as a formula is prefixed with '. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvValue(column: Column, value: unknown): string {
  const json = jsonValue(column, value);
  if (column.type === 'money')
    return csvCell(
      (json as { amount: number; currency: string }[]).map((m) => `${m.amount} ${m.currency}`).join('; ') || null,
    );
  if (column.type === 'list') return csvCell((json as string[]).join('; ') || null);
  return csvCell(json);
}

export function formatRow(format: ExportFormat, columns: Column[], row: Row): string {
  if (format === 'jsonl')
    return `${JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, jsonValue(c, row[c.name])])))}\n`;
  return `${columns.map((c) => csvValue(c, row[c.name])).join(',')}\r\n`;
}

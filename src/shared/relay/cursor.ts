import { badInput, } from '../errors.js';
import { truncate } from './global-id.js';

export type SortValue = string | number | Date;

interface CursorPayload {
  k: string;
  v: string | number;
  d?: 1;
  id: string;
}

// Keyset cursors: the sort value and primary key of the last row seen, never an offset, so that a page
// is as fast at the end of a list as at its start and rows inserted meanwhile do not shift pages.
export function encodeCursor(orderingKey: string, value: SortValue, rowId: string): string {
  const payload: CursorPayload =
    value instanceof Date ? { k: orderingKey, v: value.toISOString(), d: 1, id: rowId } : { k: orderingKey, v: value, id: rowId };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, orderingKey: string): { value: SortValue; rowId: string } {
  const invalid = () => badInput(`"${truncate(cursor)}" is not a valid cursor for this list and order.`, 'after');
  let payload: CursorPayload;
  try {
    if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) throw invalid();
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    typeof payload !== 'object' || payload === null ||
    payload.k !== orderingKey ||
    typeof payload.id !== 'string' || !/^[1-9][0-9]{0,17}$/.test(payload.id) ||
    (typeof payload.v !== 'string' && typeof payload.v !== 'number') ||
    (typeof payload.v === 'string' && payload.v.length > 500)
  ) {
    throw invalid();
  }
  if (payload.d) {
    const date = new Date(String(payload.v));
    if (Number.isNaN(date.getTime())) throw invalid();
    return { value: date, rowId: payload.id };
  }
  return { value: payload.v, rowId: payload.id };
}

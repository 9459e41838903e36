import { badInput } from '../errors.js';

// Global ids are opaque to clients: base64url of "Type:rowId". Clients must not build them, and the
// server refuses anything that does not decode to a known type and a positive integer id.
export function toGlobalId(typeName: string, rowId: string | number): string {
  return Buffer.from(`${typeName}:${rowId}`, 'utf8').toString('base64url');
}

export interface DecodedId {
  typeName: string;
  rowId: string;
}

const ROW_ID = /^[1-9][0-9]{0,17}$/;

export function decodeGlobalId(globalId: string, argument = 'id'): DecodedId {
  const decoded = /^[A-Za-z0-9_-]{1,200}$/.test(globalId) ? Buffer.from(globalId, 'base64url').toString('utf8') : '';
  const match = /^([A-Z][A-Za-z]{1,40}):(.+)$/.exec(decoded);
  if (!match || !ROW_ID.test(match[2])) throw badInput(`"${truncate(globalId)}" is not a valid id.`, argument);
  return { typeName: match[1], rowId: match[2] };
}

/** Decodes an id that must name an object of one type (e.g. a Brand id in a filter). */
export function decodeIdOf(typeName: string, globalId: string, argument = 'id'): string {
  const decoded = decodeGlobalId(globalId, argument);
  if (decoded.typeName !== typeName)
    throw badInput(`"${truncate(globalId)}" is not the id of a ${typeName}.`, argument);
  return decoded.rowId;
}

export function truncate(value: string, max = 40): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

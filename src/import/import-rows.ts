import { validate } from 'class-validator';
import { GraphQLError } from 'graphql';
import { inSavepoint } from '../shared/savepoint.js';
import type { RequestContext } from '../shared/context.js';
import { sqlStateOf } from '../shared/transaction.js';
import { UserErrorException } from '../shared/user-error.js';
import type { Rejection } from './import-report.js';

/** A record read and checked for shape: its input for the service, or why it is rejected. */
export type Prepared<T> = { line: number; input: T; rejection?: undefined } | { line: number; rejection: Rejection };

/** The import of one kind of row: shape checks outside any transaction, then the writes of a chunk. */
export interface RowKind<T> {
  /** The file's columns (a CSV header or JSON keys may name no other). */
  columns: string[];
  /** The columns a CSV header must name. */
  required: string[];
  prepare(line: number, fields: Record<string, unknown>): Promise<Prepared<T>>;
  /** Writes a chunk's prepared rows in the chunk's transaction; refused rows are rejected and leave nothing. */
  write(
    tx: RequestContext,
    rows: { line: number; input: T }[],
    reject: (rejection: Rejection) => void,
  ): Promise<number>;
}

export class RowRejected extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** A field as text: a CSV cell, or a JSON string or number; empty and absent are both undefined. */
export function text(fields: Record<string, unknown>, column: string): string | undefined {
  const value = fields[column];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw new RowRejected(column, 'must be text');
  return value === '' ? undefined : value;
}

export function required(fields: Record<string, unknown>, column: string): string {
  const value = text(fields, column);
  if (value === undefined || !value.trim()) throw new RowRejected(column, 'is required');
  return value;
}

/** A whole number field (a CSV cell or a JSON number), or undefined when empty. */
export function wholeNumber(fields: Record<string, unknown>, column: string): number | undefined {
  const value = text(fields, column);
  if (value === undefined) return undefined;
  if (!/^-?[0-9]+$/.test(value.trim())) throw new RowRejected(column, `"${value}" is not a whole number`);
  return Number(value);
}

/** A list field: a JSON array, or text with `;` between the items. */
export function list(fields: Record<string, unknown>, column: string): string[] {
  const value = fields[column];
  if (Array.isArray(value)) {
    if (!value.every((item) => typeof item === 'string')) throw new RowRejected(column, 'must be a list of text');
    return value as string[];
  }
  const joined = text(fields, column);
  return joined === undefined
    ? []
    : joined
        .split(';')
        .map((item) => item.trim())
        .filter(Boolean);
}

export function oneOf<E extends string>(
  fields: Record<string, unknown>,
  column: string,
  values: readonly E[],
): E | undefined {
  const value = text(fields, column)?.trim();
  if (value === undefined) return undefined;
  if (!values.includes(value as E)) throw new RowRejected(column, `"${value}" is not one of ${values.join(', ')}`);
  return value as E;
}

/** The column of a file that a property of a service's input comes from. */
export type ColumnOf = (property: string) => string;
export const snakeCase: ColumnOf = (property) => property.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The class-validator rules of an API input (the ones the API applies), as a rejection of the first broken. */
export async function checkInput(input: object, columnOf: ColumnOf): Promise<void> {
  // As the API validates its arguments (src/http/schema.ts): an absent optional field breaks no rule.
  const [error] = await validate(input, { forbidUnknownValues: false, skipMissingProperties: true });
  if (!error) return;
  let current = error;
  while (!current.constraints && current.children?.length) current = current.children[0];
  const reason = Object.values(current.constraints ?? { invalid: 'is invalid' })[0];
  throw new RowRejected(columnOf(error.property), reason);
}

/** Prepares a row with `build`, turning its RowRejected into the row's rejection. */
export async function prepareRow<T>(line: number, build: () => Promise<T> | T): Promise<Prepared<T>> {
  try {
    return { line, input: await build() };
  } catch (error) {
    if (error instanceof RowRejected) return { line, rejection: { line, field: error.field, reason: error.message } };
    throw error;
  }
}

/**
 * Why a service refused a row (a user error, a bad argument, a constraint of the table), or null for a failure
 * that is not the row's (the import stops on it).
 */
export function refusalOf(error: unknown, columnOf: ColumnOf): { field: string; reason: string } | null {
  if (error instanceof RowRejected) return { field: error.field, reason: error.message };
  if (error instanceof UserErrorException) {
    const path = (error.userError.field ?? []).filter((part) => part !== 'input' && !/^[0-9]+$/.test(part));
    return { field: path.length ? columnOf(path[0]) : '(row)', reason: error.userError.message };
  }
  if (error instanceof GraphQLError && error.extensions.code === 'BAD_USER_INPUT') {
    const argument = typeof error.extensions.argument === 'string' ? error.extensions.argument.split('.')[0] : '';
    return { field: argument ? columnOf(argument) : '(row)', reason: error.message };
  }
  // A check, unique, foreign-key or not-null constraint of the table (class 23): the row breaks a rule.
  if (sqlStateOf(error)?.startsWith('23')) return { field: '(row)', reason: (error as Error).message };
  return null;
}

/**
 * Writes rows one by one in the chunk's transaction, each behind a savepoint: a refused row is rolled back with
 * the audit events it queued, and rejected; the others stay. Answers how many were written.
 */
export async function writeEachRow<T>(
  tx: RequestContext,
  rows: { line: number; input: T }[],
  reject: (rejection: Rejection) => void,
  columnOf: ColumnOf,
  write: (input: T) => Promise<unknown>,
): Promise<number> {
  let written = 0;
  const refused = (error: unknown) => refusalOf(error, columnOf) !== null;
  for (const { line, input } of rows) {
    try {
      await inSavepoint(tx, () => write(input), { refused, release: true });
      written += 1;
    } catch (error) {
      const refusal = refusalOf(error, columnOf);
      if (!refusal) throw error;
      reject({ line, ...refusal });
    }
  }
  return written;
}

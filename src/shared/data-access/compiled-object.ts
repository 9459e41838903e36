/**
 * Marks of an object built from a compiled selection's JSON (selection-sql.ts), kept apart so that the
 * relay Node interface can read an object's type without importing the compiler.
 */
export const COMPILED = Symbol('compiled');
/** The GraphQL type of a compiled object, for abstract fields (`node`). */
export const COMPILED_TYPE = Symbol('compiledType');

export const compiledTypeOf = (value: object): string | undefined =>
  (value as Record<symbol, string | undefined>)[COMPILED_TYPE];

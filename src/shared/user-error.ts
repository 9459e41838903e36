import { ClassType, Field, ObjectType, registerEnumType } from 'type-graphql';

export enum UserErrorCode {
  INVALID = 'INVALID',
  NOT_FOUND = 'NOT_FOUND',
  DUPLICATE = 'DUPLICATE',
  STALE_VERSION = 'STALE_VERSION',
  INVALID_TRANSITION = 'INVALID_TRANSITION',
  IDEMPOTENCY_CONFLICT = 'IDEMPOTENCY_CONFLICT',
}
registerEnumType(UserErrorCode, {
  name: 'UserErrorCode',
  description: 'Why a mutation was refused. Nothing was changed.',
  valuesConfig: {
    DUPLICATE: { description: 'The record exists already.' },
    IDEMPOTENCY_CONFLICT: { description: 'The idempotency key was used before with a different input.' },
    INVALID: { description: 'The input breaks a rule: the message says which.' },
    INVALID_TRANSITION: { description: "The record's status does not allow this change." },
    NOT_FOUND: { description: 'No such record that you may see.' },
    STALE_VERSION: { description: 'The record changed since `expectedVersion`: reload and retry.' },
  },
});

@ObjectType({ description: 'An expected failure of a mutation. When any is returned, nothing was changed.' })
export class UserError {
  @Field(() => [String], {
    nullable: true,
    description: 'Path of the input field at fault, e.g. ["input", "brandId"].',
  })
  field!: string[] | null;

  @Field({ description: 'What is wrong and what to do, in words.' })
  message!: string;

  @Field(() => UserErrorCode, { description: 'Why, as a code to branch on.' })
  code!: UserErrorCode;
}

/** Thrown inside a service to abort its transaction and answer with a user error. */
export class UserErrorException extends Error {
  constructor(readonly userError: UserError) {
    super(userError.message);
  }
}

export function userError(code: UserErrorCode, message: string, field?: string[]): UserError {
  return Object.assign(new UserError(), { code, message, field: field ?? null });
}

/** Rolls back the current transaction and answers with this user error. */
export function refuse(code: UserErrorCode, message: string, field?: string[]): never {
  throw new UserErrorException(userError(code, message, field));
}

/**
 * Runs a mutation's service call and shapes its outcome as a payload: the result, or the user error
 * that refused it (after its transaction rolled back). Unexpected errors propagate.
 */
export async function asPayload<T extends object>(work: () => Promise<T>): Promise<T & { userErrors: UserError[] }> {
  try {
    return { ...(await work()), userErrors: [] };
  } catch (error) {
    if (error instanceof UserErrorException)
      return { userErrors: [error.userError] } as unknown as T & { userErrors: UserError[] };
    throw error;
  }
}

const payloadTypes = new Map<string, ClassType>();

/**
 * The payload of a mutation that changes or creates one thing: `{ <field>: Item, userErrors }`.
 * Services return the item; `payload` wraps it, or the user error that refused the change.
 */
export function Payload<T extends object>(
  name: string,
  field: string,
  Item: ClassType<T>,
): ClassType<MutationPayload<T>> {
  const existing = payloadTypes.get(name);
  if (existing) return existing as ClassType<MutationPayload<T>>;

  // `ReportLeadPayload` answers `reportLead`.
  const mutation = name.charAt(0).toLowerCase() + name.slice(1).replace(/Payload$/, '');
  @ObjectType(name, {
    description: `What \`${mutation}\` answers: the ${field} changed or created, or the user error that refused the change (then nothing was changed).`,
  })
  class PayloadType {
    @Field(() => Item, { name: field, nullable: true, description: 'Null when the mutation was refused.' })
    result!: T | null;

    @Field(() => [UserError], { description: 'Why the mutation was refused; empty on success.' })
    userErrors!: UserError[];
  }
  payloadTypes.set(name, PayloadType);
  return PayloadType as ClassType<MutationPayload<T>>;
}

export interface MutationPayload<T> {
  result: T | null;
  userErrors: UserError[];
}

export async function payload<T>(work: () => Promise<T>): Promise<MutationPayload<T>> {
  try {
    return { result: await work(), userErrors: [] };
  } catch (error) {
    if (error instanceof UserErrorException) return { result: null, userErrors: [error.userError] };
    throw error;
  }
}

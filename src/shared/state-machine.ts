import { refuse, UserErrorCode } from './user-error.js';

/**
 * A lifecycle as data: the states each state may move to. `assert` refuses any other move with a user
 * error naming the refused transition and what is allowed instead.
 */
export class StateMachine<S extends string> {
  constructor(
    readonly entity: string,
    private readonly transitions: Record<S, readonly S[]>,
  ) {}

  can(from: S, to: S): boolean {
    return this.transitions[from].includes(to);
  }

  allowedFrom(from: S): readonly S[] {
    return this.transitions[from];
  }

  assert(from: S, to: S, label: string, field: string[] = ['input']): void {
    if (this.can(from, to)) return;
    const allowed = this.transitions[from];
    refuse(
      UserErrorCode.INVALID_TRANSITION,
      `Cannot move ${this.entity} ${label} from ${from} to ${to}: ${allowed.length ? `from ${from} it can only move to ${allowed.join(', ')}` : `${from} is final`}.`,
      field,
    );
  }
}

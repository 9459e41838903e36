/// <reference types="jest" />
// (The reference above keeps `npm run build`, whose tsconfig loads only Node's types, compiling this file.)
//
// Unit tests of every lifecycle table against DESIGN.md section 2, no database. The allowed moves are
// written out by hand below, from DESIGN.md plus the extensions documented in each *.states.ts comment,
// and every (from, to) pair of each status enum is checked against them, both ways.
import { investigationLifecycle, InvestigationStatus } from '../modules/investigation/investigation.states.js';
import { leadLifecycle, LeadStatus } from '../modules/lead/lead.states.js';
import { ListingStatus } from '../modules/listing/listing.entity.js';
import { listingLifecycle } from '../modules/listing/listing.states.js';
import { referralLifecycle, ReferralStatus } from '../modules/referral/referral.states.js';
import { SellerStatus } from '../modules/seller/seller.entity.js';
import { sellerLifecycle, statusForStrikes } from '../modules/seller/seller.states.js';
import { StateMachine } from './state-machine.js';
import { UserErrorCode, UserErrorException } from './user-error.js';

type Expected<S extends string> = Record<S, readonly S[]>;

interface Lifecycle<S extends string> {
  name: string;
  entity: string;
  machine: StateMachine<S>;
  states: S[];
  allowed: Expected<S>;
}

// Lead: NEW -> TRIAGED -> INVESTIGATING -> REFERRED -> CLOSED, any open state -> CLOSED with a reason.
const lead: Lifecycle<LeadStatus> = {
  name: 'leadLifecycle',
  entity: 'lead',
  machine: leadLifecycle,
  states: Object.values(LeadStatus),
  allowed: {
    NEW: ['TRIAGED', 'CLOSED'],
    TRIAGED: ['INVESTIGATING', 'CLOSED'],
    INVESTIGATING: ['REFERRED', 'CLOSED'],
    REFERRED: ['CLOSED'],
    CLOSED: [],
  } as Expected<LeadStatus>,
};

// Investigation: OPEN -> EVIDENCE_GATHERING -> READY_FOR_REFERRAL -> REFERRED -> CLOSED;
// documented extension (investigation.states.ts): "an open one may be abandoned" (any state before
// REFERRED -> CLOSED).
const investigation: Lifecycle<InvestigationStatus> = {
  name: 'investigationLifecycle',
  entity: 'investigation',
  machine: investigationLifecycle,
  states: Object.values(InvestigationStatus),
  allowed: {
    OPEN: ['EVIDENCE_GATHERING', 'CLOSED'],
    EVIDENCE_GATHERING: ['READY_FOR_REFERRAL', 'CLOSED'],
    READY_FOR_REFERRAL: ['REFERRED', 'CLOSED'],
    REFERRED: ['CLOSED'],
    CLOSED: [],
  } as Expected<InvestigationStatus>,
};

// Referral: DRAFT -> SENT -> ACKNOWLEDGED -> ACTION_TAKEN -> PROSECUTION -> CONVICTED | ACQUITTED;
// SENT | ACKNOWLEDGED -> DECLINED; CONVICTED | ACQUITTED | DECLINED -> CLOSED.
const referral: Lifecycle<ReferralStatus> = {
  name: 'referralLifecycle',
  entity: 'referral',
  machine: referralLifecycle,
  states: Object.values(ReferralStatus),
  allowed: {
    DRAFT: ['SENT'],
    SENT: ['ACKNOWLEDGED', 'DECLINED'],
    ACKNOWLEDGED: ['ACTION_TAKEN', 'DECLINED'],
    ACTION_TAKEN: ['PROSECUTION'],
    PROSECUTION: ['CONVICTED', 'ACQUITTED'],
    CONVICTED: ['CLOSED'],
    ACQUITTED: ['CLOSED'],
    DECLINED: ['CLOSED'],
    CLOSED: [],
  } as Expected<ReferralStatus>,
};

// Listing: LIVE -> TAKEN_DOWN -> REINSTATED (-> TAKEN_DOWN again).
const listing: Lifecycle<ListingStatus> = {
  name: 'listingLifecycle',
  entity: 'listing',
  machine: listingLifecycle,
  states: Object.values(ListingStatus),
  allowed: {
    LIVE: ['TAKEN_DOWN'],
    TAKEN_DOWN: ['REINSTATED'],
    REINSTATED: ['TAKEN_DOWN'],
  } as Expected<ListingStatus>,
};

// Seller: ACTIVE -> WARNED -> RESTRICTED -> SUSPENDED -> CLOSED; documented extension (seller.states.ts):
// an investigator may skip steps forward, or lift a sanction by one step or more (back to ACTIVE, or a
// partial lift such as RESTRICTED -> WARNED); CLOSED is final.
const seller: Lifecycle<SellerStatus> = {
  name: 'sellerLifecycle',
  entity: 'seller',
  machine: sellerLifecycle,
  states: Object.values(SellerStatus),
  allowed: {
    ACTIVE: ['WARNED', 'RESTRICTED', 'SUSPENDED', 'CLOSED'],
    WARNED: ['ACTIVE', 'RESTRICTED', 'SUSPENDED', 'CLOSED'],
    RESTRICTED: ['ACTIVE', 'WARNED', 'SUSPENDED', 'CLOSED'],
    SUSPENDED: ['ACTIVE', 'WARNED', 'RESTRICTED', 'CLOSED'],
    CLOSED: [],
  } as Expected<SellerStatus>,
};

const lifecycles = [lead, investigation, referral, listing, seller] as Lifecycle<string>[];

function pairs<S extends string>(life: Lifecycle<S>): { from: S; to: S; allowed: boolean }[] {
  return life.states.flatMap((from) =>
    life.states.map((to) => ({ from, to, allowed: life.allowed[from].includes(to) })),
  );
}

function caught(work: () => void): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe.each(lifecycles.map((life) => [life.name, life] as const))('%s', (_name, life) => {
  it('names every status of its enum and only those', () => {
    // The expected table covers the enum exactly: a status added later must be placed in a lifecycle.
    expect(Object.keys(life.allowed).sort()).toEqual([...life.states].sort());
    for (const from of life.states) expect(life.states).toEqual(expect.arrayContaining([...life.allowed[from]]));
  });

  for (const { from, to, allowed } of pairs(life)) {
    it(`${allowed ? 'allows' : 'refuses'} ${from} -> ${to}`, () => {
      expect(life.machine.can(from, to)).toBe(allowed);
      if (allowed) {
        expect(() => life.machine.assert(from, to, 'X-1')).not.toThrow();
        expect(life.machine.allowedFrom(from)).toContain(to);
        return;
      }
      expect(life.machine.allowedFrom(from)).not.toContain(to);
      const error = caught(() => life.machine.assert(from, to, 'X-1'));
      expect(error).toBeInstanceOf(UserErrorException);
      const { userError } = error as UserErrorException;
      expect(userError.code).toBe(UserErrorCode.INVALID_TRANSITION);
      expect(userError.field).toEqual(['input']);
      // The message names the record, both states and what is possible instead.
      expect(userError.message).toContain(`Cannot move ${life.entity} X-1 from ${from} to ${to}`);
      expect((error as Error).message).toBe(userError.message);
      const next = life.allowed[from];
      expect(userError.message).toContain(next.length ? `from ${from} it can only move to` : `${from} is final`);
      for (const state of next) expect(userError.message).toContain(state);
    });
  }

  it('allowedFrom lists exactly the documented moves', () => {
    for (const from of life.states) {
      expect([...life.machine.allowedFrom(from)].sort()).toEqual([...life.allowed[from]].sort());
    }
  });
});

describe('StateMachine.assert', () => {
  it('puts the user error on the field it is given', () => {
    const error = caught(() =>
      sellerLifecycle.assert(SellerStatus.CLOSED, SellerStatus.ACTIVE, 'TAOBAO/s1', ['input', 'status']),
    ) as UserErrorException;
    expect(error).toBeInstanceOf(UserErrorException);
    expect(error.userError).toEqual({
      code: UserErrorCode.INVALID_TRANSITION,
      field: ['input', 'status'],
      message: 'Cannot move seller TAOBAO/s1 from CLOSED to ACTIVE: CLOSED is final.',
    });
  });

  it('says what is allowed instead, in table order', () => {
    const error = caught(() =>
      leadLifecycle.assert(LeadStatus.NEW, LeadStatus.REFERRED, 'LD-2026-000001'),
    ) as UserErrorException;
    expect(error.userError.message).toBe(
      'Cannot move lead LD-2026-000001 from NEW to REFERRED: from NEW it can only move to TRIAGED, CLOSED.',
    );
  });

  it('refuses staying in place (a move to the same state is not a transition)', () => {
    for (const life of lifecycles) {
      for (const state of life.states) {
        expect(life.machine.can(state, state)).toBe(false);
        expect(caught(() => life.machine.assert(state, state, 'X'))).toBeInstanceOf(UserErrorException);
      }
    }
  });
});

describe('statusForStrikes', () => {
  const { ACTIVE, WARNED, RESTRICTED, SUSPENDED, CLOSED } = SellerStatus;
  const order = [ACTIVE, WARNED, RESTRICTED, SUSPENDED, CLOSED];
  // What the strikes alone call for: 1 WARNED, 3 RESTRICTED, 5 SUSPENDED.
  const byStrikes = (strikes: number) =>
    strikes >= 5 ? SUSPENDED : strikes >= 3 ? RESTRICTED : strikes >= 1 ? WARNED : ACTIVE;

  it.each([
    [0, ACTIVE],
    [1, WARNED],
    [2, WARNED],
    [3, RESTRICTED],
    [4, RESTRICTED],
    [5, SUSPENDED],
    [6, SUSPENDED],
    [50, SUSPENDED],
  ])('an ACTIVE seller with %i strikes becomes %s', (strikes, status) => {
    expect(statusForStrikes(ACTIVE, strikes)).toBe(status);
  });

  it('never lowers a status, never closes a seller, and keeps CLOSED closed', () => {
    for (const current of order) {
      for (let strikes = 0; strikes <= 8; strikes += 1) {
        const target = byStrikes(strikes);
        const expected = order.indexOf(target) > order.indexOf(current) ? target : current;
        expect([current, strikes, statusForStrikes(current, strikes)]).toEqual([current, strikes, expected]);
      }
    }
    expect(statusForStrikes(CLOSED, 100)).toBe(CLOSED);
    expect(statusForStrikes(SUSPENDED, 100)).toBe(SUSPENDED);
    expect(statusForStrikes(RESTRICTED, 1)).toBe(RESTRICTED);
  });

  it('only ever asks for a move the seller lifecycle allows', () => {
    for (const current of order) {
      for (let strikes = 0; strikes <= 8; strikes += 1) {
        const next = statusForStrikes(current, strikes);
        if (next !== current)
          expect([current, next, sellerLifecycle.can(current, next)]).toEqual([current, next, true]);
      }
    }
  });
});

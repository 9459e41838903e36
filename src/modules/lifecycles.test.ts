/// <reference types="jest" />
// (The reference above keeps `npm run build`, whose tsconfig loads only Node's types, compiling this file.)
//
// The shape of every lifecycle table (src/modules/*/*.states.ts), no database: each names exactly the
// statuses of its enum, every status is reachable from where a record starts, the final statuses are
// exactly the documented ones and have no way out, and from every other status a final one can be reached
// (no record is stuck). The allowed moves pair by pair are in src/shared/state-machine.test.ts.
import { StateMachine } from '../shared/state-machine.js';
import { investigationLifecycle, InvestigationStatus } from './investigation/investigation.states.js';
import { leadLifecycle, LeadStatus } from './lead/lead.states.js';
import { ListingStatus } from './listing/listing.entity.js';
import { listingLifecycle } from './listing/listing.states.js';
import { referralLifecycle, ReferralStatus } from './referral/referral.states.js';
import {
  repeatOffenderMatchLifecycle,
  RepeatOffenderMatchStatus,
} from './repeat-offender/repeat-offender-match.states.js';
import { SellerStatus } from './seller/seller.entity.js';
import { sellerLifecycle } from './seller/seller.states.js';

interface Table {
  machine: StateMachine<string>;
  statuses: string[];
  /** The status a record is created in. */
  initial: string;
  /** The statuses a record never leaves (none: a listing can always be taken down or reinstated again). */
  final: string[];
}

const tables: Record<string, Table> = {
  lead: { machine: leadLifecycle, statuses: Object.values(LeadStatus), initial: 'NEW', final: ['CLOSED'] },
  investigation: {
    machine: investigationLifecycle,
    statuses: Object.values(InvestigationStatus),
    initial: 'OPEN',
    final: ['CLOSED'],
  },
  referral: {
    machine: referralLifecycle,
    statuses: Object.values(ReferralStatus),
    initial: 'DRAFT',
    final: ['CLOSED'],
  },
  listing: { machine: listingLifecycle, statuses: Object.values(ListingStatus), initial: 'LIVE', final: [] },
  seller: { machine: sellerLifecycle, statuses: Object.values(SellerStatus), initial: 'ACTIVE', final: ['CLOSED'] },
  'repeat-offender match': {
    machine: repeatOffenderMatchLifecycle,
    statuses: Object.values(RepeatOffenderMatchStatus),
    initial: 'PENDING',
    final: ['REJECTED'],
  },
};

/** The statuses reachable from `start` in any number of moves (start included). */
function reachable(machine: StateMachine<string>, start: string): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length) {
    for (const next of machine.allowedFrom(queue.shift()!)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

describe.each(Object.entries(tables))('the %s lifecycle', (entity, table) => {
  const { machine, statuses, initial, final } = table;

  it('is named after its entity, and its moves lead only to statuses of its enum, never in place', () => {
    expect(machine.entity).toBe(entity);
    for (const from of statuses) {
      const moves = machine.allowedFrom(from);
      expect(moves).toBeDefined();
      for (const to of moves) expect(statuses).toContain(to);
      expect(moves).not.toContain(from);
      expect(new Set(moves).size).toBe(moves.length);
    }
  });

  it('reaches every status from where a record starts', () => {
    expect([...reachable(machine, initial)].sort()).toEqual([...statuses].sort());
  });

  it('has exactly the documented final statuses, each without a way out', () => {
    const dead = statuses.filter((status) => machine.allowedFrom(status).length === 0);
    expect(dead.sort()).toEqual([...final].sort());
    for (const status of final) for (const to of statuses) expect(machine.can(status, to)).toBe(false);
  });

  it('lets every record reach a final status, wherever it stands (none is stuck)', () => {
    if (!final.length) return expect(statuses.every((status) => machine.allowedFrom(status).length > 0)).toBe(true);
    for (const status of statuses) expect(final.some((end) => reachable(machine, status).has(end))).toBe(true);
  });

  it('refuses a move out of a final status with INVALID_TRANSITION, saying the status is final', () => {
    for (const status of final) {
      let message = '';
      try {
        machine.assert(status, initial, '#1');
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(`${status} is final`);
    }
  });
});

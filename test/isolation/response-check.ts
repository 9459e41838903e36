import { CallerScope } from './oracle';
import { Expect, pathOf, Sel } from './schema-walk';

/**
 * Checks one response against the caller's scope, walking it together with the selection that asked
 * for it (so that each value is known by its schema path and expectations), then as plain JSON for
 * strings.
 */

export interface Finding {
  caller: string;
  /** Response path, e.g. `leads_0.edges[0].node.investigation.referrals[1].id`. */
  at: string;
  /** Schema path of the selection (fragments as `<Type>`), e.g. `leads.edges.node.investigation.referrals`; for strings the response path without indices. */
  path: string;
  kind: 'record' | 'count' | 'string' | 'error' | 'oracle-mismatch';
  detail: string;
}

export interface Stats {
  records: number;
  distinctRecords: Set<string>;
  totalCounts: number;
  strings: number;
  nullChecks: number;
  toleratedErrors: number;
}

export const newStats = (): Stats => ({
  records: 0,
  distinctRecords: new Set(),
  totalCounts: 0,
  strings: 0,
  nullChecks: 0,
  toleratedErrors: 0,
});

export interface CheckContext {
  scope: CallerScope;
  /** Matches any string that belongs only to records out of scope. */
  forbidden: RegExp | null;
  /** Every global id of the dataset -> its type. */
  gidType: Map<string, string>;
  /** Type name -> the object types it stands for (itself, or an interface's/union's possible types). */
  possibleTypes: Map<string, Set<string>>;
  /** Type names that have records in the dataset (a connection of another type is not counted). */
  gidTypeNames: Set<string>;
  stats: Stats;
  findings: Finding[];
}

const label = (gid: string, ctx: CheckContext) =>
  `${gid} (${Buffer.from(gid, 'base64url').toString('utf8')}${ctx.gidType.has(gid) ? '' : ', not in the dataset'})`;

function finding(ctx: CheckContext, f: Omit<Finding, 'caller'>) {
  ctx.findings.push({ caller: ctx.scope.name, ...f });
}

function checkExpect(ctx: CheckContext, path: string, e: Expect, value: any, at: string) {
  const { allowed } = ctx.scope;
  if (e.totalCount !== undefined && value && typeof value === 'object') {
    ctx.stats.totalCounts += 1;
    if (value.totalCount !== e.totalCount)
      finding(ctx, {
        at: `${at}.totalCount`,
        path: path,
        kind: 'count',
        detail: `totalCount ${value.totalCount}, expected ${e.totalCount} (${e.reason})`,
      });
  }
  if (e.nothing && value !== null && value !== undefined) {
    ctx.stats.totalCounts += 1;
    for (const [where, found] of somethings(value, at)) {
      finding(ctx, {
        at: where,
        path: path,
        kind: typeof found === 'number' ? 'count' : 'record',
        detail: `${JSON.stringify(found)} where nothing may be found (${e.reason})`,
      });
    }
  }
  if (e.nullUnlessAllowed !== undefined) {
    const gid = e.nullUnlessAllowed;
    ctx.stats.nullChecks += 1;
    if (!allowed.has(gid) && value !== null) {
      finding(ctx, {
        at,
        path: path,
        kind: 'record',
        detail: `answered for ${label(gid, ctx)}, which is out of scope: ${JSON.stringify(value).slice(0, 300)}`,
      });
    } else if (allowed.has(gid) && value === null && e.presentIfAllowed) {
      finding(ctx, {
        at,
        path: path,
        kind: 'oracle-mismatch',
        detail: `null for ${label(gid, ctx)}, which the oracle says is in scope (hidden too much, or the oracle is wrong)`,
      });
    }
    if (allowed.has(gid) && value && e.totalCountIfAllowed !== undefined) {
      ctx.stats.totalCounts += 1;
      if (value.totalCount !== e.totalCountIfAllowed)
        finding(ctx, {
          at: `${at}.totalCount`,
          path: path,
          kind: 'count',
          detail: `totalCount ${value.totalCount}, expected ${e.totalCountIfAllowed} for ${label(gid, ctx)}`,
        });
    }
  }
  if (e.entriesNullUnlessAllowed && Array.isArray(value)) {
    e.entriesNullUnlessAllowed.forEach((gid, i) => {
      ctx.stats.nullChecks += 1;
      if (!allowed.has(gid) && value[i] !== null) {
        finding(ctx, {
          at: `${at}[${i}]`,
          path: path,
          kind: 'record',
          detail: `answered for ${label(gid, ctx)}, which is out of scope: ${JSON.stringify(value[i]).slice(0, 300)}`,
        });
      } else if (allowed.has(gid) && value[i] === null && e.entriesPresentIfAllowed?.[i]) {
        finding(ctx, {
          at: `${at}[${i}]`,
          path: path,
          kind: 'oracle-mismatch',
          detail: `null for ${label(gid, ctx)}, which the oracle says is in scope`,
        });
      }
    });
  }
}

/** Non-zero numbers and records (objects with an id) in a value that should hold nothing. */
function somethings(value: unknown, at: string, out: [string, unknown][] = []): [string, unknown][] {
  if (typeof value === 'number' && value !== 0) out.push([at, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => somethings(v, `${at}[${i}]`, out));
  else if (value && typeof value === 'object') {
    if (typeof (value as { id?: unknown }).id === 'string') out.push([at, (value as { id: string }).id]);
    else for (const [k, v] of Object.entries(value)) somethings(v, `${at}.${k}`, out);
  }
  return out;
}

function checkObject(ctx: CheckContext, sel: Sel, path: string, obj: any, at: string) {
  const children = sel.children!;
  if (typeof obj.id === 'string' && children.some((c) => c.key === 'id' && c.field === 'id')) {
    ctx.stats.records += 1;
    ctx.stats.distinctRecords.add(obj.id);
    if (!ctx.scope.allowed.has(obj.id)) {
      finding(ctx, {
        at: `${at}.id`,
        path: `${path}.id`,
        kind: 'record',
        detail: `record ${label(obj.id, ctx)} is out of scope`,
      });
    }
    const type = ctx.gidType.get(obj.id);
    if (obj.__typename && type && type !== obj.__typename) {
      finding(ctx, {
        at: `${at}.id`,
        path: `${path}.id`,
        kind: 'record',
        detail: `a ${obj.__typename} answered with the id of a ${type}: ${label(obj.id, ctx)}`,
      });
    }
  }
  if (typeof obj.totalCount === 'number') {
    ctx.stats.totalCounts += 1;
    const listed = Array.isArray(obj.nodes)
      ? obj.nodes.length
      : Array.isArray(obj.edges)
        ? obj.edges.length
        : undefined;
    const complete = obj.pageInfo ? obj.pageInfo.hasNextPage === false : listed !== undefined && listed < 100;
    if (listed !== undefined && complete && listed !== obj.totalCount) {
      finding(ctx, {
        at: `${at}.totalCount`,
        path: `${path}.totalCount`,
        kind: 'count',
        detail: `totalCount ${obj.totalCount} but the complete list (first: 100) holds ${listed}: it counts records the list does not show`,
      });
    }
    const max = sel.nodeType ? ctx.scope.allowedCount.get(sel.nodeType) : undefined;
    if (sel.nodeType && ctx.gidTypeNames.has(sel.nodeType) && obj.totalCount > (max ?? 0)) {
      finding(ctx, {
        at: `${at}.totalCount`,
        path: `${path}.totalCount`,
        kind: 'count',
        detail: `totalCount ${obj.totalCount} exceeds the ${max ?? 0} ${sel.nodeType} records in scope`,
      });
    }
  }
  checkSels(ctx, children, obj, at, path);
}

export function checkSels(ctx: CheckContext, sels: Sel[], value: any, at: string, prefix = '') {
  for (const sel of sels) {
    const path = pathOf(prefix, sel);
    if (sel.on) {
      if (value.__typename && (value.__typename === sel.on || ctx.possibleTypes.get(sel.on)?.has(value.__typename)))
        checkSels(ctx, sel.children!, value, at, path);
      continue;
    }
    if (!(sel.key in value)) continue;
    const v = value[sel.key];
    const here = at ? `${at}.${sel.key}` : sel.key;
    if (sel.expect) checkExpect(ctx, path, sel.expect, v, here);
    if (!sel.children || v === null || v === undefined) continue;
    if (Array.isArray(v))
      v.forEach((el, i) => el !== null && typeof el === 'object' && checkObject(ctx, sel, path, el, `${here}[${i}]`));
    else if (typeof v === 'object') checkObject(ctx, sel, path, v, here);
  }
}

/** Every number and every record id of a value, by response path (strings such as dates are left out). */
function figures(value: unknown, at = '', out: string[] = []): string[] {
  if (typeof value === 'number') out.push(`${at} = ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => figures(v, `${at}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'id' && typeof v === 'string') out.push(`${at}.id = ${v}`);
      else figures(v, `${at}.${k}`, out);
    }
  }
  return out;
}

/**
 * A filter naming only the other tenant must answer exactly as the same filter naming records that do
 * not exist (DESIGN.md 3: a record out of scope is indistinguishable from one that does not exist): the
 * same records and the same figures, number for number.
 */
export function checkSameFigures(ctx: CheckContext, sel: Sel, value: unknown, nonexistent: unknown) {
  ctx.stats.totalCounts += 1;
  const got = figures(value);
  const expected = new Set(figures(nonexistent));
  const extra = got.filter((f) => !expected.has(f));
  const gotSet = new Set(got);
  const missing = [...expected].filter((f) => !gotSet.has(f));
  for (const f of extra.slice(0, 20)) {
    finding(ctx, {
      at: `${sel.key}${f.split(' = ')[0]}`,
      path: sel.seg,
      kind: /\.id = /.test(f) ? 'record' : 'count',
      detail: `${f.split(' = ')[1]} where the same filter on records that do not exist gives ${missing.find((m) => m.split(' = ')[0] === f.split(' = ')[0])?.split(' = ')[1] ?? 'nothing'} (${sel.expect?.reason} names only records out of scope)`,
    });
  }
  if (!extra.length && missing.length) {
    finding(ctx, {
      at: sel.key,
      path: sel.seg,
      kind: 'count',
      detail: `answer differs from the same filter on records that do not exist: lacks ${missing.slice(0, 3).join(', ')} (${sel.expect?.reason})`,
    });
  }
}

const GID = /^[A-Za-z0-9_-]{6,200}$/;
/** Fields whose strings are random by construction: cursors, hashes (an inclusion proof's `hashes[i]`), signatures. */
const OPAQUE = /(?:[cC]ursor|[hH]ash|[hH]ashes\[\d+\]|[sS]ignature)$/;

/** Every string of a response (data, JSON scalars, errors): nothing of records out of scope. */
export function checkStrings(ctx: CheckContext, value: unknown, at: string, requestIds: Set<string>, inErrors = false) {
  if (typeof value === 'string') {
    ctx.stats.strings += 1;
    // A cursor is AES-GCM ciphertext (src/shared/relay/cursor.ts), a hash or a signature a digest in base64: its
    // text is random, and a short foreign value ("1000", "Beta") turns up in it by chance now and then. What a
    // cursor is bound to is tested in cursors.test.ts; a digest holds no text of any record.
    const hit = OPAQUE.test(at) ? null : ctx.forbidden?.exec(value);
    if (hit)
      finding(ctx, {
        at,
        path: at.replace(/\[\d+\]/g, ''),
        kind: 'string',
        detail: `holds "${hit[0]}", which belongs only to records out of scope (in "${value.slice(0, 160)}")`,
      });
    if (GID.test(value)) {
      // A global id anywhere (an id field, a JSON scalar, a message) names a record: it must be in scope.
      if (ctx.gidType.has(value) && !ctx.scope.allowed.has(value) && !(inErrors && requestIds.has(value))) {
        finding(ctx, {
          at,
          path: at.replace(/\[\d+\]/g, ''),
          kind: 'string',
          detail: `names ${label(value, ctx)}, which is out of scope`,
        });
      }
      // Opaque strings (cursors) are base64url: what they decode to must not name the other tenant either.
      const decoded = Buffer.from(value, 'base64url').toString('utf8');
      if (/^[\x20-\x7e]+$/.test(decoded)) {
        const inner = ctx.forbidden?.exec(decoded);
        if (inner)
          finding(ctx, {
            at,
            path: at.replace(/\[\d+\]/g, ''),
            kind: 'string',
            detail: `decodes to "${decoded.slice(0, 160)}", holding "${inner[0]}", which belongs only to records out of scope`,
          });
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkStrings(ctx, v, `${at}[${i}]`, requestIds, inErrors));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkStrings(ctx, v, at ? `${at}.${k}` : k, requestIds, inErrors);
  }
}

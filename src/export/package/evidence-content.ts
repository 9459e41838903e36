import type { Readable } from 'node:stream';
import type { RequestContext } from '../../shared/context.js';

/** The stored content of one evidence item: its bytes, opened only when the package is written. */
export interface EvidenceContent {
  size: number;
  mediaType: string;
  open(): Promise<Readable>;
}

/**
 * Where a package finds the content of an evidence item (by its row id), or null when the API does not hold
 * it: the manifest then says `file: null` and the verifier reports the item as not held.
 */
export type EvidenceContentSource = (ctx: RequestContext, evidenceRowId: string) => Promise<EvidenceContent | null>;

/**
 * The API holds no evidence content yet (the items carry only their declared SHA-256 and storage key):
 * every item is packaged without its file. The evidence storage replaces this when it lands.
 */
export const contentOf: EvidenceContentSource = async () => null;

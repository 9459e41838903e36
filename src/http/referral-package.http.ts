import { Router } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Config } from '../shared/config.js';
import { apiKeyStillValid } from '../shared/auth/api-key-check.js';
import { Role } from '../shared/auth/role.js';
import { RequestContext } from '../shared/context.js';
import { REVOKED_OR_UNKNOWN } from '../shared/errors.js';
import { decodeIdOf } from '../shared/relay/global-id.js';
import { Authenticator } from '../modules/principal/principal.service.js';
import { contentOf, EvidenceContentSource } from '../export/package/evidence-content.js';
import {
  PackageNotFoundError,
  PackageNotReadyError,
  prepareReferralPackage,
  recordPackageExport,
  writeReferralPackage,
} from '../export/package/package-writer.js';
import { recordOf } from './request-log.js';
import { routeCaller, RouteRefusal } from './route-caller.js';

/**
 * Who may download a referral's package: the receiving agency's liaisons, and the internal roles that work its
 * cases (ADMIN, INVESTIGATOR). Not an analyst: the audit events of a package carry their recorded values
 * unmasked (storage keys), which analysts read masked. Not a brand partner: brands see no evidence. Whoever
 * asks, the package holds what the agency receives.
 */
const MAY_DOWNLOAD = [Role.ADMIN, Role.INVESTIGATOR, Role.AGENCY_LIAISON];

/** A missing id, a draft and another agency's referral are answered alike, to an agency (no request id in the body). */
const NOT_FOUND_BODY = { errors: [{ message: 'No referral has this id.', extensions: { code: 'NOT_FOUND' } }] };

/**
 * `GET /referrals/{referralId}/package`: the referral's package as a tar archive (README, "Referral packages"),
 * streamed: files are read as the client takes them. Bearer API key as for /graphql. Each package produced is
 * recorded in the audit log (referral.packageExported) before its first byte is sent.
 */
export function referralPackageRouter(
  dataSource: DataSource,
  config: Config,
  authenticator: Authenticator,
  logger: Logger,
  contentSource: EvidenceContentSource = contentOf,
): Router {
  return Router().get('/referrals/:referralId/package', async (req, res) => {
    const record = recordOf(res);
    const fail = (status: number, code: string, message: string) => {
      record.errorCodes.push(code);
      res.status(status).json({ errors: [{ message, extensions: { code, requestId: record.requestId } }] });
    };
    let ctx: RequestContext;
    try {
      ctx = await routeCaller(req, res, { dataSource, config, authenticator });
    } catch (error) {
      if (!(error instanceof RouteRefusal)) throw error;
      if (error.status === 503) res.set('retry-after', '1');
      return fail(error.status, error.code, error.message);
    }
    const { principal, apiKeyHash } = ctx;
    if (!MAY_DOWNLOAD.includes(principal.role))
      return fail(403, 'FORBIDDEN', 'Your role may not download referral packages.');
    const notFound = () => {
      record.errorCodes.push('NOT_FOUND');
      res.status(404).json(NOT_FOUND_BODY);
    };
    let rowId: string;
    try {
      rowId = decodeIdOf('Referral', String(req.params.referralId));
    } catch {
      return notFound();
    }
    // A key revoked since the Authenticator last read it (it keeps keys for a minute) gets nothing.
    if (!(await apiKeyStillValid(dataSource, ctx))) {
      authenticator.forget(apiKeyHash!);
      return fail(401, 'UNAUTHENTICATED', REVOKED_OR_UNKNOWN);
    }
    let prepared;
    try {
      prepared = await prepareReferralPackage(dataSource, config, { referral: { rowId }, ctx, contentSource });
    } catch (error) {
      if (error instanceof PackageNotFoundError) return notFound();
      if (error instanceof PackageNotReadyError) return fail(409, 'NOT_SENT', error.message);
      throw error;
    }
    await recordPackageExport(ctx, prepared);
    res.status(200).set({
      'content-type': 'application/x-tar',
      'content-disposition': `attachment; filename="${prepared.reference}.tar"`,
      'cache-control': 'no-store',
    });
    try {
      await writeReferralPackage(prepared, res);
      res.end();
    } catch (error) {
      // Headers are sent: the client sees the archive cut short (its verification fails), the log says why.
      logger.error(
        { err: error, requestId: record.requestId, referral: prepared.reference },
        'referral package cut short',
      );
      res.destroy();
    }
  });
}

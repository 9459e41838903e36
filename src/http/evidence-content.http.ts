import express, { Router } from 'express';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { Config } from '../shared/config.js';
import { RequestContext } from '../shared/context.js';
import { decodeIdOf } from '../shared/relay/global-id.js';
import { BlobStorage } from '../shared/storage/blob-storage.js';
import { createBlobStorage } from '../shared/storage/create-blob-storage.js';
import { Authenticator } from '../modules/principal/principal.service.js';
import {
  EvidenceContentError,
  openEvidenceContent,
  storeEvidenceContent,
} from '../modules/evidence/evidence-content.service.js';
import { isDatabaseUnavailable } from './format-error.js';
import { recordOf } from './request-log.js';
import { routeCaller, RouteRefusal } from './route-caller.js';

const MAX_REASON_CHARS = 1000;

/**
 * The files of evidence items, beside /graphql, with the same API keys (README, "Evidence files"):
 * `PUT /evidence/{id}/content` uploads one (the raw body, streamed), `GET /evidence/{id}/content?reason=...`
 * downloads it (streamed; each download recorded in the audit log with its reason). Errors are JSON in the
 * shape of GraphQL errors, `extensions.code` telling them apart.
 */
export function evidenceContentRouter(
  dataSource: DataSource,
  config: Config,
  authenticator: Authenticator,
  logger: Logger,
  storage: BlobStorage = createBlobStorage(config.evidenceStorage),
): Router {
  const contextOf = (req: express.Request, res: express.Response) =>
    routeCaller(req, res, { dataSource, config, authenticator });

  const fail = (req: express.Request, res: express.Response, error: unknown, ctx?: RequestContext) => {
    const refusal = refusalOf(error);
    if (refusal.status === 401 && ctx?.apiKeyHash) authenticator.forget(ctx.apiKeyHash);
    if (refusal.status >= 500 && refusal.code !== 'SERVICE_UNAVAILABLE')
      logger.error({ err: error, requestId: recordOf(res).requestId }, 'evidence file request failed');
    recordOf(res).errorCodes.push(refusal.code);
    if (refusal.status === 503) res.set('retry-after', '1');
    // The rest of a refused upload is not read: the connection closes once the refusal is sent.
    if (req.method === 'PUT' && !req.complete) {
      req.unpipe();
      if (!res.headersSent) res.set('connection', 'close');
      res.once('finish', () => req.destroy());
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(refusal.status).json({
      errors: [{ message: refusal.message, extensions: { code: refusal.code, requestId: recordOf(res).requestId } }],
    });
  };

  return (
    Router()
      .put('/evidence/:evidenceId/content', async (req, res) => {
        let ctx: RequestContext | undefined;
        try {
          ctx = await contextOf(req, res);
          const rowId = evidenceRowIdOf(req.params.evidenceId);
          const length = req.get('content-length');
          // The request is read through a stream of its own: a refusal mid-way ends that one, while the
          // connection stays open until the refusal is answered (then it is closed: the rest is not read).
          const body = new PassThrough();
          req.on('error', (error) => body.destroy(error));
          req.pipe(body);
          const { evidence, created } = await storeEvidenceContent(
            ctx,
            storage,
            rowId,
            body,
            length === undefined ? undefined : Number(length),
          );
          res.status(created ? 201 : 200).json({
            evidenceId: evidence.globalId,
            sha256: evidence.sha256,
            sizeBytes: Number(evidence.contentSize),
            mediaType: evidence.contentMediaType,
            storedAt: evidence.contentStoredAt,
          });
        } catch (error) {
          fail(req, res, error, ctx);
        }
      })
      // Express would answer HEAD with the GET handler: a download audited without a byte sent.
      .head('/evidence/:evidenceId/content', (_req, res) => {
        res.status(405).set('allow', 'GET, PUT').end();
      })
      .get('/evidence/:evidenceId/content', async (req, res) => {
        let ctx: RequestContext | undefined;
        try {
          ctx = await contextOf(req, res);
          const rowId = evidenceRowIdOf(req.params.evidenceId);
          const reason = typeof req.query.reason === 'string' ? req.query.reason.trim() : '';
          if (!reason || reason.length > MAX_REASON_CHARS)
            throw new EvidenceContentError(
              400,
              'REASON_REQUIRED',
              `Say why you download this file: the query parameter "reason" (1-${MAX_REASON_CHARS} characters) is recorded in the audit log with your download.`,
            );
          const { evidence, content } = await openEvidenceContent(ctx, storage, rowId, reason);
          const digest = Buffer.from(evidence.sha256, 'hex').toString('base64');
          res.status(200).set({
            'content-type': evidence.contentMediaType!,
            'content-length': evidence.contentSize!,
            'content-disposition': `attachment; filename="evidence-${evidence.sha256.slice(0, 16)}"`,
            'repr-digest': `sha-256=:${digest}:`,
            digest: `sha-256=${digest}`,
            'x-content-type-options': 'nosniff',
            'cache-control': 'no-store',
          });
          // A failure past the first byte (the file altered since it was checked) cuts the connection: the
          // client sees fewer bytes than content-length and the digest does not match.
          await pipeline(content, res).catch((error) => fail(req, res, error, ctx));
        } catch (error) {
          fail(req, res, error, ctx);
        }
      })
  );
}

function evidenceRowIdOf(globalId: string): string {
  try {
    return decodeIdOf('Evidence', globalId, 'evidenceId');
  } catch (error) {
    if (error instanceof GraphQLError) throw new EvidenceContentError(400, 'BAD_USER_INPUT', error.message);
    throw error;
  }
}

function refusalOf(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof EvidenceContentError || error instanceof RouteRefusal) return error;
  if (isDatabaseUnavailable(error))
    return { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable; retry shortly.' };
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // The client went away mid-upload.
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE')
    return { status: 400, code: 'BAD_REQUEST', message: 'The upload was interrupted: nothing was stored.' };
  return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Internal error.' };
}

import type { ApolloServerPlugin } from '@apollo/server';
import { Router } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AuditConfig } from '../../shared/config.js';
import { AuditCheckpointer } from '../../shared/audit/audit-checkpoint.js';
import { publicKeysDocument } from '../../shared/audit/audit-signing.js';
import { onAuditAppend } from '../../shared/audit/audit.service.js';
import type { RequestContext } from '../../shared/context.js';

/**
 * `GET /audit/keys`: the public keys that verify the audit log's signatures (the current one and the
 * retired ones still listed in AUDIT_OLD_PUBLIC_KEYS), with their ids, as JSON. No API key needed:
 * partners check checkpoints with them (examples/verify-checkpoint.mjs).
 */
export function auditKeysRouter(audit: AuditConfig): Router {
  const body = JSON.stringify(publicKeysDocument(audit));
  return Router().get('/audit/keys', (_req, res) => {
    res.set({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' }).send(body);
  });
}

/**
 * The server's checkpoints of the audit log, for as long as the GraphQL server runs: one signed at start
 * (the first one covers the events from before signing began), then every AUDIT_CHECKPOINT_SECONDS when the
 * log grew and soon after every AUDIT_CHECKPOINT_EVERY events appended by this instance. Stopped, and a
 * checkpoint in progress awaited, when Apollo stops (main.ts does that before closing the pool).
 */
export function auditCheckpointPlugin(
  dataSource: DataSource,
  audit: AuditConfig,
  logger: Logger,
  isUnavailable: (error: unknown) => boolean,
): ApolloServerPlugin<RequestContext> {
  return {
    async serverWillStart() {
      const checkpointer = new AuditCheckpointer(dataSource, audit, logger, isUnavailable);
      const stopListening = onAuditAppend((from, to) => checkpointer.appended(from, to));
      await checkpointer.start();
      return {
        async serverWillStop() {
          stopListening();
          await checkpointer.stop();
        },
      };
    },
  };
}

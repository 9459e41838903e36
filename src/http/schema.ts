import 'reflect-metadata';
import { GraphQLSchema } from 'graphql';
import {
  getMetadataStorage as getValidationMetadata,
  validateOrReject,
  ValidationError,
  ValidatorOptions,
} from 'class-validator';
import {
  ArgumentValidationError,
  AuthCheckerFn,
  buildSchema,
  getMetadataStorage,
  NonEmptyArray,
  ValidatorFn,
} from 'type-graphql';
import { RequestContext } from '../shared/context.js';
import { forbidden } from '../shared/errors.js';
import { featureSettings } from '../shared/settings.js';
import { serveCompiled } from '../shared/data-access/selection-read.js';
import { AgencyResolver } from '../modules/agency/agency.resolver.js';
import { analyticsResolvers } from '../modules/analytics/analytics.resolver.js';
import { AuditLogResolver } from '../modules/audit/audit-log.resolver.js';
import { AuditTrailResolver, InvestigationHistoryResolver } from '../modules/audit/audit-trail.resolver.js';
import { CustodyTransferResolver } from '../modules/evidence/custody.resolver.js';
import { EvidenceContentResolver } from '../modules/evidence/evidence-content.resolver.js';
import { EvidenceResolver, InvestigationEvidenceResolver } from '../modules/evidence/evidence.resolver.js';
import { InvestigationResolver, LeadInvestigationResolver } from '../modules/investigation/investigation.resolver.js';
import { BrandLeadResolver, LeadResolver, SellerLeadResolver } from '../modules/lead/lead.resolver.js';
import {
  EnforcementOutcomeResolver,
  InvestigationReferralResolver,
  ReferralChangeResolver,
  ReferralEscalationResolver,
  ReferralFeedbackResolver,
  ReferralResolver,
} from '../modules/referral/referral.resolver.js';
import { BrandResolver } from '../modules/brand/brand.resolver.js';
import { IdentifierDisclosureResolver } from '../modules/referral/identifier-disclosure.resolver.js';
import { BrandListingResolver, ListingResolver, SellerListingResolver } from '../modules/listing/listing.resolver.js';
import { NodeResolver } from '../modules/node/node.resolver.js';
import { ApiKeyResolver, PrincipalResolver } from '../modules/principal/principal.resolver.js';
import {
  LeadOtherBrandCaseCountResolver,
  SellerOtherBrandCaseCountResolver,
} from '../modules/cross-brand-signal/other-brand-case-count.js';
import { PremisesResolver } from '../modules/premises/premises.resolver.js';
import {
  FindingPremisesResolver,
  PremisesFindingResolver,
} from '../modules/investigation/finding-premises.resolver.js';
import { OutcomePremisesResolver, PremisesOutcomeResolver } from '../modules/referral/outcome-premises.resolver.js';
import {
  JointOperationResolver,
  OutcomeJointOperationResolver,
} from '../modules/joint-operation/joint-operation.resolver.js';
import { ReporterAccuracyResolver } from '../modules/reporter-accuracy/reporter-accuracy.resolver.js';
import {
  LeadRepeatOffenderMatchResolver,
  RepeatOffenderMatchResolver,
} from '../modules/repeat-offender/repeat-offender-match.resolver.js';
import { SellerIdentifierResolver, SellerResolver } from '../modules/seller/seller.resolver.js';
import { WebhookResolver } from '../modules/webhook/webhook.resolver.js';

const resolvers: NonEmptyArray<Function> = [
  NodeResolver,
  PrincipalResolver,
  ApiKeyResolver,
  BrandResolver,
  AgencyResolver,
  SellerResolver,
  SellerIdentifierResolver,
  IdentifierDisclosureResolver,
  ListingResolver,
  BrandListingResolver,
  SellerListingResolver,
  LeadResolver,
  BrandLeadResolver,
  SellerLeadResolver,
  InvestigationResolver,
  LeadInvestigationResolver,
  EvidenceResolver,
  InvestigationEvidenceResolver,
  CustodyTransferResolver,
  EvidenceContentResolver,
  ReferralResolver,
  InvestigationReferralResolver,
  EnforcementOutcomeResolver,
  ReferralChangeResolver,
  ReferralEscalationResolver,
  ReferralFeedbackResolver,
  RepeatOffenderMatchResolver,
  LeadRepeatOffenderMatchResolver,
  LeadOtherBrandCaseCountResolver,
  SellerOtherBrandCaseCountResolver,
  PremisesResolver,
  FindingPremisesResolver,
  PremisesFindingResolver,
  PremisesOutcomeResolver,
  OutcomePremisesResolver,
  ReporterAccuracyResolver,
  JointOperationResolver,
  OutcomeJointOperationResolver,
  AuditTrailResolver,
  InvestigationHistoryResolver,
  AuditLogResolver,
  ...analyticsResolvers,
  WebhookResolver,
];

const authChecker: AuthCheckerFn<RequestContext> = ({ context }, roles) => {
  if (roles.includes(context.principal.role)) return true;
  throw forbidden();
};

/**
 * Closed by default: every root query and mutation must say which roles may call it. A resolver
 * without `@Authorized(...)` stops the server from starting instead of being open to everyone.
 */
function assertEveryRootFieldAuthorized(): void {
  const storage = getMetadataStorage();
  const open = [...storage.queries, ...storage.mutations].filter(
    (handler) =>
      resolvers.includes(handler.target) &&
      !storage.authorizedFields.some(
        (auth) => auth.target === handler.target && auth.fieldName === handler.methodName,
      ) &&
      !storage.authorizedResolver.some((auth) => auth.target === handler.target),
  );
  if (open.length) throw new Error(`Root fields without @Authorized: ${open.map((h) => h.schemaName).join(', ')}`);
}

const VALIDATION: ValidatorOptions = { forbidUnknownValues: false, skipMissingProperties: true };
const declaresRules = new Map<Function, boolean>();

/**
 * Argument validation (class-validator), as type-graphql's own but only for argument classes that declare
 * rules (the mutations' inputs): the others (pages, filters) have nothing to check, and running the validator
 * on them for every nested list cost about 4% of an agency sync's CPU (docs/benchmarks.md).
 */
const validateArgument: ValidatorFn = async (value) => {
  const errors = await validateInput(value, '');
  if (errors.length) throw new ArgumentValidationError(errors);
};

const declaresRulesOf = (type: Function): boolean => {
  let rules = declaresRules.get(type);
  if (rules === undefined) {
    rules = getValidationMetadata().getTargetValidationMetadatas(type, '', true, false).length > 0;
    declaresRules.set(type, rules);
  }
  return rules;
};

/**
 * Validates an input object and every input object nested in it (a money amount, a geo point, a list of
 * identifiers: type-graphql builds them as instances of their classes), naming each failure by its path
 * (`location.latitude`). Plain values and classes without rules cost nothing.
 */
async function validateInput(value: unknown, path: string): Promise<ValidationError[]> {
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  if (Array.isArray(value))
    return (await Promise.all(value.map((item, i) => validateInput(item, `${path}[${i}]`)))).flat();
  const type = value.constructor;
  if (type === Object) return [];
  const errors: ValidationError[] = [];
  if (declaresRulesOf(type)) {
    try {
      await validateOrReject(value, VALIDATION);
    } catch (failures) {
      for (const failure of failures as ValidationError[])
        errors.push(Object.assign(failure, { property: path ? `${path}.${failure.property}` : failure.property }));
    }
  }
  for (const [key, nested] of Object.entries(value)) {
    if (nested !== null && typeof nested === 'object')
      errors.push(...(await validateInput(nested, path ? `${path}.${key}` : key)));
  }
  return errors;
}

let schema: Promise<GraphQLSchema> | undefined;

/** type-graphql has no decorator for the root types' own descriptions: they are set once the schema is built. */
function describeRootTypes(built: GraphQLSchema): void {
  const query = built.getQueryType();
  const mutation = built.getMutationType();
  if (query)
    query.description =
      'What you may read. Every answer is limited to what your key may see: a record out of your scope answers as if it did not exist.';
  if (mutation)
    mutation.description =
      'What you may change. Each mutation takes one `input` and answers a payload: the record changed, or `userErrors` saying why nothing was changed.';
}

export function buildAppSchema(): Promise<GraphQLSchema> {
  schema ??= (async () => {
    // The features' settings are checked here, at start: a bad value stops the server, not a request.
    featureSettings();
    const built = await buildSchema({
      resolvers,
      authChecker,
      validateFn: validateArgument,
      emitSchemaFile: false,
    });
    assertEveryRootFieldAuthorized();
    describeRootTypes(built);
    // Objects a compiled selection built answer their fields themselves (src/shared/data-access/selection-sql.ts).
    return serveCompiled(built);
  })();
  return schema;
}

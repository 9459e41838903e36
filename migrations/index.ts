// Every migration, in order. Listed by hand so that the compiled server and ts-jest load the same set.
import { Foundation1763900000000 } from './1763900000000-Foundation.js';
import { CaseLifecycle1763900100000 } from './1763900100000-CaseLifecycle.js';
import { RowLevelSecurity1763900200000 } from './1763900200000-RowLevelSecurity.js';
import { Analytics1763900300000 } from './1763900300000-Analytics.js';
import { ReferralDeadlines1763900400000 } from './1763900400000-ReferralDeadlines.js';
import { IdentifierDisclosure1763900500000 } from './1763900500000-IdentifierDisclosure.js';
import { RepeatOffenders1763900600000 } from './1763900600000-RepeatOffenders.js';
import { CrossBrandSignal1763900700000 } from './1763900700000-CrossBrandSignal.js';
import { Premises1763900800000 } from './1763900800000-Premises.js';
import { ReporterAccuracy1763900900000 } from './1763900900000-ReporterAccuracy.js';
import { JointOperations1763901000000 } from './1763901000000-JointOperations.js';
import { RowLevelSecurityFastPaths1763909000000 } from './1763909000000-RowLevelSecurityFastPaths.js';
import { RowLevelSecurityInlineSeller1763910000000 } from './1763910000000-RowLevelSecurityInlineSeller.js';
import { TakedownRollup1763911000000 } from './1763911000000-TakedownRollup.js';
import { BrandCaseListIndex1763915000000 } from './1763915000000-BrandCaseListIndex.js';
import { JointOperationShares1763920000000 } from './1763920000000-JointOperationShares.js';
import { ReferenceSequences1764000000000 } from './1764000000000-ReferenceSequences.js';
import { DisclosureBasisFromHistory1764000100000 } from './1764000100000-DisclosureBasisFromHistory.js';
import { IdentifierNormalisation1764000500000 } from './1764000500000-IdentifierNormalisation.js';
import { RepeatOffenderSanctions1764000600000 } from './1764000600000-RepeatOffenderSanctions.js';
import { SeizedGoods1764000700000 } from './1764000700000-SeizedGoods.js';
import { AuditMerkleLog1764000950000 } from './1764000950000-AuditMerkleLog.js';
import { EnforcementPolicy1764001300000 } from './1764001300000-EnforcementPolicy.js';
import { ApiLogin1764001700000 } from './1764001700000-ApiLogin.js';
import { DefinerSearchPath1764002000000 } from './1764002000000-DefinerSearchPath.js';
import { ReportStatsWithoutWaits1764100000000 } from './1764100000000-ReportStatsWithoutWaits.js';
import { AuditAppendHead1764100100000 } from './1764100100000-AuditAppendHead.js';
import { ScopedOffenceRollups1764200000000 } from './1764200000000-ScopedOffenceRollups.js';
import { LeadRegionRollup1764200100000 } from './1764200100000-LeadRegionRollup.js';
import { ReporterAccuracyRollup1764300100000 } from './1764300100000-ReporterAccuracyRollup.js';
import { InvestigationCreatedAtCopies1764300200000 } from './1764300200000-InvestigationCreatedAtCopies.js';
import { PoliciesInOnePlace1764300300000 } from './1764300300000-PoliciesInOnePlace.js';
import { CustodyAcknowledgement1764300400000 } from './1764300400000-CustodyAcknowledgement.js';
import { EvidenceContent1764400300000 } from './1764400300000-EvidenceContent.js';
import { Webhooks1764500100000 } from './1764500100000-Webhooks.js';
import { ImportRun1764500300000 } from './1764500300000-ImportRun.js';
import { WebhookRetention1764500400000 } from './1764500400000-WebhookRetention.js';
import { SanctionRollup1764600000000 } from './1764600000000-SanctionRollup.js';
import { ReportStatsPolicy1764600100000 } from './1764600100000-ReportStatsPolicy.js';
import { SellerSanction1764700000000 } from './1764700000000-SellerSanction.js';
import { ReportStatsAgencyPolicy1764700100000 } from './1764700100000-ReportStatsAgencyPolicy.js';
import { RegionFunnelRollup1764700200000 } from './1764700200000-RegionFunnelRollup.js';

export const migrations = [
  Foundation1763900000000, CaseLifecycle1763900100000, RowLevelSecurity1763900200000, Analytics1763900300000, ReferralDeadlines1763900400000,
  IdentifierDisclosure1763900500000, RepeatOffenders1763900600000, CrossBrandSignal1763900700000,
  Premises1763900800000, ReporterAccuracy1763900900000, JointOperations1763901000000,
  RowLevelSecurityFastPaths1763909000000, RowLevelSecurityInlineSeller1763910000000,
  TakedownRollup1763911000000, BrandCaseListIndex1763915000000,
  JointOperationShares1763920000000, ReferenceSequences1764000000000, DisclosureBasisFromHistory1764000100000,
  IdentifierNormalisation1764000500000, RepeatOffenderSanctions1764000600000, SeizedGoods1764000700000,
  AuditMerkleLog1764000950000,
  EnforcementPolicy1764001300000,
  ApiLogin1764001700000,
  DefinerSearchPath1764002000000,
  ReportStatsWithoutWaits1764100000000,
  AuditAppendHead1764100100000,
  ScopedOffenceRollups1764200000000,
  LeadRegionRollup1764200100000,
  ReporterAccuracyRollup1764300100000,
  InvestigationCreatedAtCopies1764300200000,
  PoliciesInOnePlace1764300300000,
  CustodyAcknowledgement1764300400000,
  EvidenceContent1764400300000,
  Webhooks1764500100000,
  ImportRun1764500300000,
  WebhookRetention1764500400000,
  SanctionRollup1764600000000,
  ReportStatsPolicy1764600100000,
  SellerSanction1764700000000,
  ReportStatsAgencyPolicy1764700100000,
  RegionFunnelRollup1764700200000,
];

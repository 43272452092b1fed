// Every shape the console reads from the API (and the bodies it writes), as z.infer of the
// server's own schemas: the two cannot drift apart. Type-only imports: nothing of the server ends
// up in the bundle. Never a db row interface, never a hand-written copy: an answer without a schema
// gets one in its domain's schemas.ts.
import type { z } from 'zod';
import type { auditBody, keyCreated, keyView } from '../../../server/auth/schemas.ts';
import type { featureBudgetUsage, limitUsage } from '../../../server/entitlements/schemas.ts';
import type {
  auditList, constraintSchema, dependencySchema, environmentList, environmentOut, flagBody, flagList, flagListItem, importBody, importResult, playgroundBody, playgroundResult, promoteBody, promoteItem, promoteResult,
  segmentBody, segmentList, segmentWritten, strategySchema, variantSchema,
} from '../../../server/flags/schemas.ts';
import type { apiError } from '../../../server/http/responses.ts';
import type { alertBody } from '../../../server/jobs/schemas.ts';
import type { invitationAnswer, invitationsAnswer, invitationView, meAnswer, passwordAnswer, personView, registerAnswer, webhookTestAnswer } from '../../../server/people/schemas.ts';
import type { budgetAnswer } from '../../../server/prices/schemas.ts';
import type { periodsAnswer, statementAnswer, usageQueryAnswer } from '../../../server/reporting/schemas.ts';
import type {
  seriesBody, streamChanges, streamSnapshot, streamUnavailable, tenantSettings, tenantUsage, usageBody, webhookView,
} from '../../../server/tenants/schemas.ts';
import type { deliveryView, endpointCreated, endpointView, secretRotated } from '../../../server/webhooks/schemas.ts';

type Of<S extends z.ZodType> = z.infer<S>;

/** The API's error body: {error: {code, message, details?}}. */
export type ErrorBody = Of<typeof apiError>;
export type FieldError = NonNullable<ErrorBody['error']['details']>[number];

// usage (GET /api/usage/:tenant, its series, the live stream)
export type TenantUsage = Of<typeof tenantUsage>;
export type TenantDetail = Of<typeof usageBody>;
export type FeatureUsage = TenantDetail['features'][number];
/** A money budget this period with what is used of it (null: none). */
export type BudgetUse = TenantUsage['budget'];
/** One limit with its figures: feature null is the quota. */
export type LimitView = Of<typeof limitUsage>;
/** A feature's limit in money with its figures this period, in the tenant's currency. */
export type FeatureBudgetView = Of<typeof featureBudgetUsage>;
export type UsageSeries = Of<typeof seriesBody>;
export type Bucket = UsageSeries['bucket'];
export type Alert = Of<typeof alertBody>;
export type StreamSnapshot = Of<typeof streamSnapshot>;
export type StreamChanges = Of<typeof streamChanges>;
export type StreamUnavailable = Of<typeof streamUnavailable>;

// reporting
export type Periods = Of<typeof periodsAnswer>;
export type Period = Periods['periods'][number];
export type Statement = Of<typeof statementAnswer>;
export type QueryAnswer = Of<typeof usageQueryAnswer>;
export type StatementLine = NonNullable<Statement['lines']>[number];

// tenants (admin)
export type TenantSettings = Of<typeof tenantSettings>;
/** What PUT /api/tenants/:tenant/budget answers. */
export type Budget = Of<typeof budgetAnswer>;
export type WebhookView = Of<typeof webhookView>;
export type WebhookTest = Of<typeof webhookTestAnswer>;

// keys and the audit log
export type KeyView = Of<typeof keyView>;
export type KeyCreated = Of<typeof keyCreated>;
export type AuditView = Of<typeof auditBody>['entries'][number];

// people and who is signed in
export type Me = Of<typeof meAnswer>;
export type Scope = Me['scopes'][number];
export type PersonView = Of<typeof personView>;
export type Invitation = Of<typeof invitationAnswer>;
/** A pending invitation as GET /api/invitations lists it (never its token). */
export type InvitationView = Of<typeof invitationView>;
export type InvitationList = Of<typeof invitationsAnswer>;
export type PasswordChanged = Of<typeof passwordAnswer>;
export type Registered = Of<typeof registerAnswer>;

// webhooks
export type EndpointView = Of<typeof endpointView>;
export type EndpointCreated = Of<typeof endpointCreated>;
export type EventType = EndpointView['eventTypes'][number];
export type DeliveryView = Of<typeof deliveryView>;
export type SecretRotated = Of<typeof secretRotated>;

// flags
export type FlagList = Of<typeof flagList>;
export type FlagItem = Of<typeof flagListItem>;
/** The flat strategies the editor edits (a flag whose list says custom has strategies of its own). */
export type Strategy = NonNullable<FlagBody['strategy']>;
export type QuotaRule = FlagItem['quotaRules'][number];
export type Environment = Of<typeof environmentOut>;
/** The environments and the default one (FLAGS_DEFAULT_ENV). */
export type EnvironmentList = Of<typeof environmentList>;
export type FlagAuditItem = Of<typeof auditList>['items'][number];
export type PromoteItem = Of<typeof promoteItem>;
export type PromoteResult = Of<typeof promoteResult>;
/** What POST /api/features takes. */
export type FlagBody = z.input<typeof flagBody>;
/** A flag as the editor holds it: a body with its lists and rules always present. */
export type FlagInput = FlagBody & Required<Pick<FlagBody, 'quotaRules' | 'type' | 'description'>>;
export type PromoteInput = z.input<typeof promoteBody>;
export type FlagsImportInput = z.input<typeof importBody>;
export type FlagsImportResult = Of<typeof importResult>;

// the rule a flag's strategies, variants and parents make (what the editor builds)
export type ConstraintInput = z.input<typeof constraintSchema>;
export type Operator = ConstraintInput['operator'];
export type StrategyInput = z.input<typeof strategySchema>;
export type VariantInput = z.input<typeof variantSchema>;
export type DependencyInput = z.input<typeof dependencySchema>;
export type ValueType = FlagItem['type'];
export type FlagValue = FlagItem['variants'][number]['value'];

// segments and the playground
export type SegmentList = Of<typeof segmentList>;
export type SegmentItem = SegmentList['items'][number];
export type SegmentInput = z.input<typeof segmentBody>;
export type SegmentWritten = Of<typeof segmentWritten>;
export type PlaygroundInput = z.input<typeof playgroundBody>;
export type PlaygroundResult = Of<typeof playgroundResult>;
export type PlaygroundItem = PlaygroundResult['flags'][number];

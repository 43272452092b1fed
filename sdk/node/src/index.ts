// @flagmeter/sdk: meter, check and flag from Node. No runtime dependencies (the platform's fetch).
export { FlagMeter, type Stats } from './client.ts';
export type { FlagMeterOptions, RetryInfo } from './options.ts';
export type { TrackEvent } from './event.ts';
export type { WhenFull } from './queue.ts';
export type { JournalOptions } from './journal.ts';
export type { CheckAnswer, CheckOptions, ReserveOptions, GuardOptions, Reservation } from './entitlements.ts';
export {
  FlagMeterError, QueueFullError, FlagMeterHttpError, FlagMeterUnavailableError, EventsRejectedError,
  EntitlementDeniedError, FlushTimeoutError,
} from './errors.ts';
export { meterOpenAI } from './openai.ts';
export { meterAnthropic } from './anthropic.ts';
export type { MeterOptions } from './meter.ts';
export { tokensOf } from './usage.ts';
export { LocalFlags, type LocalFlagsOptions } from './local/flags.ts';
export { evaluateFlag, type FlagDefinition, type LocalEvaluation } from './local/flat.ts';
export { CompiledFlags, type FlagsDocument, type DocumentFlag } from './local/document.ts';
export type { EvalContext, Reason } from './local/evaluate.ts';
export type { FlagValue, JsonObject } from './local/model.ts';
export { murmur3, bucket } from './local/murmur3.ts';
export { flagmeterMiddleware, aiSdkTokens } from './ai-sdk.ts';

// The errors the SDK throws or reports. Every one is a FlagMeterError, so `instanceof` sorts them.

export class FlagMeterError extends Error {
  override name = 'FlagMeterError';
}

/** track() with `whenFull: 'throw'` and no room in the queue. Nothing was queued. */
export class QueueFullError extends FlagMeterError {
  override name = 'QueueFullError';
  readonly capacity: number;
  constructor(capacity: number) {
    super(`The FlagMeter queue is full (${capacity} events): the event was not queued.`);
    this.capacity = capacity;
  }
}

/** The server answered with an error status that a retry cannot fix. */
export class FlagMeterHttpError extends FlagMeterError {
  override name = 'FlagMeterHttpError';
  readonly status: number;
  readonly code: string | undefined;
  readonly body: unknown;
  constructor(status: number, code: string | undefined, message: string, body?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** FlagMeter could not be reached (network error, timeout) or kept answering 5xx/429. */
export class FlagMeterUnavailableError extends FlagMeterError {
  override name = 'FlagMeterUnavailableError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** Events the server refused for good (invalid, unknown tenant, forbidden): they are not retried. */
export class EventsRejectedError extends FlagMeterError {
  override name = 'EventsRejectedError';
  readonly events: readonly object[];
  readonly status: number;
  constructor(events: readonly object[], status: number, reason: string) {
    super(`FlagMeter refused ${events.length} event(s) (${status}): ${reason}`);
    this.events = events;
    this.status = status;
  }
}

/** guard() when the check denied: the function was not called. */
export class EntitlementDeniedError extends FlagMeterError {
  override name = 'EntitlementDeniedError';
  readonly answer: { reason: string; remaining: number | null };
  constructor(answer: { reason: string; remaining: number | null }) {
    super(`FlagMeter denied the spend: ${answer.reason} (remaining: ${answer.remaining ?? 'unknown'})`);
    this.answer = answer;
  }
}

/** flush()/close() ran out of time with events still undelivered. */
export class FlushTimeoutError extends FlagMeterError {
  override name = 'FlushTimeoutError';
  readonly undelivered: number;
  constructor(undelivered: number) {
    super(`FlagMeter could not deliver ${undelivered} event(s) in time.`);
    this.undelivered = undelivered;
  }
}

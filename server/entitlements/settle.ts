// Settling a reservation with POST /api/events {reservation: <id>}: which batches settle, and the
// answer for an event refused because of its reservation. Refused means nothing of its request
// was stored: the client sends the event again without `reservation` (usage that happened is
// usage) once it has seen why — a silent "counted without it" would hide a bug in its flow.
import { AppError, type ErrorDetail } from '../core/errors.ts';
import type { EventRow } from '../db/events.ts';

/** True when some event of these rows settles a reservation. */
export const settles = (rows: readonly EventRow[]): boolean => rows.some((r) => r.reservation);

const explanations: Record<string, string> = {
  reservation_not_found: 'no such reservation (for this tenant)',
  reservation_settled: 'the reservation was already settled by another event',
  reservation_released: 'the reservation was released (DELETE /api/reservations/:id)',
  reservation_expired: 'the reservation expired',
  reservation_feature_mismatch: "the reservation was taken for another feature",
};

/** 404 when every refused event names an unknown reservation, else 409; details name each event. */
export function refusal(refused: { index: number; reason: string }[], batch: boolean, rows: readonly EventRow[]): AppError {
  const details: ErrorDetail[] = refused.map((r) => ({
    ...(batch ? { index: r.index } : {}),
    field: 'reservation',
    message: `${explanations[r.reason] ?? r.reason} (${rows[r.index]?.reservation})`,
  }));
  const notFound = refused.every((r) => r.reason === 'reservation_not_found');
  const code = refused.length === 1 || new Set(refused.map((r) => r.reason)).size === 1 ? refused[0]!.reason : 'reservation_conflict';
  return new AppError(notFound ? 404 : 409, code,
    `${details.map((d) => d.message).join('; ')}: nothing of this request was stored. Send the event again without "reservation" to count it.`,
    { details });
}

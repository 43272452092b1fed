// POST /api/events: one event or a batch, answered after the batch holding it has committed.
import express, { Router } from 'express';
import { AppError } from '../errors.ts';
import { validateEvents } from '../../ingest/validate.ts';
import type { AppDeps } from '../../app.ts';

export function eventsRouter({ config, tenants, writer }: AppDeps): Router {
  const router = Router();
  const parseJson = express.json({ limit: config.BODY_LIMIT_BYTES, strict: false, type: () => true });

  router.post('/events', (req, _res, next) => {
    if (!req.is('application/json')) {
      return next(new AppError(415, 'unsupported_media_type', 'Send the events as JSON with Content-Type: application/json.'));
    }
    next();
  }, parseJson, async (req, res) => {
    const { rows, single } = await validateEvents(req.body, {
      maxEvents: config.EVENTS_MAX_PER_REQUEST,
      maxFutureMs: config.EVENT_MAX_FUTURE_SECONDS * 1000,
      tenants,
    });
    const result = await writer.write(rows);
    if (single) {
      const duplicate = result.duplicates[0]!;
      res.status(duplicate ? 200 : 201).json({ success: true, eventId: result.eventIds[0], duplicate });
      return;
    }
    const duplicates = result.duplicates.reduce((n, d) => n + (d ? 1 : 0), 0);
    res.status(201).json({ success: true, accepted: rows.length - duplicates, duplicates });
  });
  return router;
}

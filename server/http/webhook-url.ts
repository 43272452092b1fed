// The SSRF guard's check when a webhook URL is saved, as the API answers it: a 400 on the url field.
import { AppError } from '../core/errors.ts';
import { checkOnSave, WebhookRefused, type WebhookPolicy } from '../webhooks/ssrf.ts';

export async function assertWebhookAllowed(url: string, policy: WebhookPolicy, field = 'url'): Promise<void> {
  try {
    await checkOnSave(url, policy);
  } catch (err) {
    if (!(err instanceof WebhookRefused)) throw err;
    throw new AppError(400, 'webhook_refused', `The webhook is refused: ${err.message}.`, { details: [{ field, message: err.message }] });
  }
}

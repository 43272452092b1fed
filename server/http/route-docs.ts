// Every route's OpenAPI entry, in one list: the builder (openapi.ts), the /docs page and the tests
// read it. The builder imports no route module; this list does, and only app.ts imports the list.
import type { RouteDoc } from './route-doc.ts';
import { coreRouteDocs } from './core-route-docs.ts';
import { authRouteDocs } from './routes/auth.ts';
import { peopleRouteDocs } from './routes/people.ts';
import { entitlementRouteDocs } from './routes/entitlements.ts';
import { flagRouteDocs } from './routes/flags.ts';
import { segmentRouteDocs } from './routes/segments.ts';
import { flagTransferRouteDocs } from './routes/flag-transfer.ts';
import { ofrepRouteDocs } from './routes/ofrep.ts';
import { reportingRouteDocs } from './routes/reporting.ts';
import { webhookRouteDocs } from './routes/webhooks.ts';

export const routeDocs: RouteDoc[] = [...coreRouteDocs, ...authRouteDocs, ...peopleRouteDocs, ...entitlementRouteDocs, ...flagRouteDocs, ...segmentRouteDocs, ...flagTransferRouteDocs, ...ofrepRouteDocs, ...reportingRouteDocs, ...webhookRouteDocs];

// meterAnthropic(client, fm, {tenant}): the same Anthropic client, whose messages.create (and so
// messages.stream and messages.parse, which go through it) also records {tenant, feature: model,
// tokens, user}: input + output + cache tokens from the answer's usage, or for a stream from
// message_start (input) and the last message_delta (output so far, cumulative).
import type { FlagMeter } from './client.ts';
import { onParsed, proxyMethods, record, resolveRequest, tapStream, throughProxy, type MeterOptions } from './meter.ts';
import { tokensOf } from './usage.ts';

export function meterAnthropic<T extends object>(client: T, fm: FlagMeter, opts: MeterOptions): T {
  return proxyMethods(client, {
    'messages.create': (create, self) => (params: any, options?: unknown) => {
      const m = resolveRequest(opts, params?.model);
      if (params?.stream !== true) {
        return onParsed(create.call(self, params, options), (r) => record(fm, m, tokensOf(r?.usage)));
      }
      const usage: Record<string, number> = {};
      const merge = (u: Record<string, unknown> | undefined) => {
        for (const [k, v] of Object.entries(u ?? {})) if (typeof v === 'number') usage[k] = v;
      };
      return onParsed(create.call(self, params, options), (stream) => tapStream(stream, {
        item(event) {
          if (event?.type === 'message_start') merge(event.message?.usage);
          else if (event?.type === 'message_delta') merge(event.usage); // cumulative counts
        },
        end: () => record(fm, m, tokensOf(usage)),
      }));
    },
    // these helpers call this.create(): run them with the proxy as `this` so that goes through the wrapper
    'messages.stream': throughProxy,
    'messages.parse': throughProxy,
  });
}

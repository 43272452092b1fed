// meterOpenAI(client, fm, {tenant}): the same OpenAI client, whose chat.completions.create and
// responses.create (and so the helpers built on them: parse, stream, runTools) also record
// {tenant, feature: model, tokens, user} from the answer's usage.
// Streams: the wrapper asks for stream_options.include_usage when the caller did not, and then hides
// the usage-only last chunk (and the `usage: null` of the other chunks) so the caller sees the
// chunks it would have seen without it.
import type { FlagMeter } from './client.ts';
import { onParsed, proxyMethods, record, resolveRequest, tapStream, throughProxy, type MeterOptions } from './meter.ts';
import { tokensOf } from './usage.ts';

export function meterOpenAI<T extends object>(client: T, fm: FlagMeter, opts: MeterOptions): T {
  return proxyMethods(client, {
    'chat.completions.create': (create, self) => (params: any, options?: unknown) => {
      const m = resolveRequest(opts, params?.model);
      if (params?.stream !== true) {
        return onParsed(create.call(self, params, options), (r) => record(fm, m, tokensOf(r?.usage)));
      }
      const injected = params.stream_options?.include_usage !== true;
      const sent = injected ? { ...params, stream_options: { ...params.stream_options, include_usage: true } } : params;
      let tokens: number | undefined;
      return onParsed(create.call(self, sent, options), (stream) => tapStream(stream, {
        item(chunk) {
          if (chunk?.usage) tokens = tokensOf(chunk.usage);
          if (!injected) return false;
          if (chunk?.usage && Array.isArray(chunk.choices) && chunk.choices.length === 0) return true;
          if (chunk && chunk.usage === null) delete chunk.usage;
          return false;
        },
        end: () => record(fm, m, tokens),
      }));
    },
    'responses.create': (create, self) => (params: any, options?: unknown) => {
      const m = resolveRequest(opts, params?.model);
      if (params?.stream !== true) {
        return onParsed(create.call(self, params, options), (r) => record(fm, m, tokensOf(r?.usage)));
      }
      let tokens: number | undefined;
      return onParsed(create.call(self, params, options), (stream) => tapStream(stream, {
        item(event) {
          if (event?.response?.usage) tokens = tokensOf(event.response.usage);
        },
        end: () => record(fm, m, tokens),
      }));
    },
    // the SDK's helpers build on create(): with the proxy as `this` (and as `_client`) they are metered too
    'chat.completions.parse': throughProxy,
    'chat.completions.stream': throughProxy,
    'chat.completions.runTools': throughProxy,
    'responses.parse': throughProxy,
    'responses.stream': throughProxy,
  });
}

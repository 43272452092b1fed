// flagmeterMiddleware(fm, {tenant}): a Vercel AI SDK language-model middleware (wrapLanguageModel
// from `ai`) that records {tenant, feature: modelId, tokens, user} for every generate and stream,
// whatever the provider. Typed structurally, so the SDK does not depend on `ai`.
import type { FlagMeter } from './client.ts';
import { record, resolveRequest, type MeterOptions } from './meter.ts';

type Count = number | { total?: number | undefined } | undefined;
/** The AI SDK's usage: v4/v3 ({inputTokens: {total}, outputTokens: {total}}) or v2 ({inputTokens, outputTokens, totalTokens}). */
export interface AiSdkUsage { inputTokens?: Count; outputTokens?: Count; totalTokens?: number | undefined }

const count = (c: Count) => (typeof c === 'number' ? c : c?.total ?? 0);

export function aiSdkTokens(usage: AiSdkUsage | undefined): number | undefined {
  if (!usage) return undefined;
  if (typeof usage.totalTokens === 'number') return usage.totalTokens;
  const n = count(usage.inputTokens) + count(usage.outputTokens);
  return n > 0 ? n : undefined;
}

interface Model { modelId: string }

export function flagmeterMiddleware(fm: FlagMeter, opts: MeterOptions) {
  return {
    specificationVersion: 'v4' as const,
    async wrapGenerate<R extends { usage?: AiSdkUsage }>({ doGenerate, model }: { doGenerate: () => PromiseLike<R>; model: Model }): Promise<R> {
      const m = resolveRequest(opts, model.modelId);
      const result = await doGenerate();
      record(fm, m, aiSdkTokens(result.usage));
      return result;
    },
    async wrapStream<R extends { stream: ReadableStream<any> }>({ doStream, model }: { doStream: () => PromiseLike<R>; model: Model }): Promise<R> {
      const m = resolveRequest(opts, model.modelId);
      const result = await doStream();
      let tokens: number | undefined;
      const tap = new TransformStream<any, any>({
        transform(part, controller) {
          if (part?.type === 'finish') tokens = aiSdkTokens(part.usage);
          controller.enqueue(part);
        },
        flush() {
          record(fm, m, tokens);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(tap) };
    },
  };
}

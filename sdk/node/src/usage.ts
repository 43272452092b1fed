// Tokens from a provider's `usage`: OpenAI's chat completions and responses, Anthropic's messages.

/** OpenAI chat: total_tokens; responses: total_tokens or input + output; Anthropic: input + output + cache tokens. */
export function tokensOf(usage: unknown): number | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const u = usage as Record<string, unknown>;
  const n = (k: string) => (typeof u[k] === 'number' ? (u[k] as number) : 0);
  if (typeof u.total_tokens === 'number') return u.total_tokens;
  if (typeof u.prompt_tokens === 'number' || typeof u.completion_tokens === 'number') return n('prompt_tokens') + n('completion_tokens');
  if (typeof u.input_tokens === 'number' || typeof u.output_tokens === 'number') {
    return n('input_tokens') + n('output_tokens') + n('cache_creation_input_tokens') + n('cache_read_input_tokens');
  }
  return undefined;
}

/** The tokens of a result that carries a `usage` (an OpenAI or Anthropic answer), if any. */
export function resultTokens(result: unknown): number | undefined {
  return result && typeof result === 'object' ? tokensOf((result as { usage?: unknown }).usage) : undefined;
}

// What the OpenAI and Anthropic wrappers share: a proxy that swaps a few methods of a client and
// leaves everything else as it is, and the hooks that read `usage` off a result or a stream
// without changing what the caller gets. Metering is a track() (an in-memory append): never awaited
// by the caller's path, and its failures go to onError, never to the caller.
import type { FlagMeter } from './client.ts';
import { FlagMeterError } from './errors.ts';

export interface MeterOptions {
  /** the tenant, or a function called at each request (e.g. reading your request context) */
  tenant: string | (() => string);
  /** the end user, or a function called at each request */
  user?: string | (() => string | undefined);
  /** the feature to record for a model (default: the model name the request asked for) */
  feature?: (model: string) => string;
}

export interface Metered { tenant: string; user: string | undefined; model: string }

type Wrap = (original: (...args: any[]) => any, self: object, proxy: object) => (...args: any[]) => any;

/**
 * A proxy of `target` whose methods at the given dotted paths are replaced; every other function is
 * bound to its real owner. A resource's `_client` (the SDKs' back-reference to the client) is the
 * proxy again, so the providers' own helpers (stream(), parse(), runTools()) go through the wrappers.
 */
export function proxyMethods<T extends object>(target: T, wraps: Record<string, Wrap>, prefix = '', root?: { target: object; proxy: object }): T {
  const handler: ProxyHandler<T> = {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, t);
      if (typeof prop !== 'string') return value;
      if (prop === '_client' && root && value === root.target) return root.proxy;
      const path = prefix ? `${prefix}.${prop}` : prop;
      const wrap = wraps[path];
      if (wrap && typeof value === 'function') return wrap(value as (...args: any[]) => any, t, receiver);
      if (value && typeof value === 'object' && Object.keys(wraps).some((k) => k.startsWith(`${path}.`))) {
        return proxyMethods(value, wraps, path, root ?? { target, proxy });
      }
      // bound to the real object: SDK classes keep private state that a proxy `this` cannot reach
      return typeof value === 'function' ? value.bind(t) : value;
    },
  };
  const proxy = new Proxy(target, handler);
  return proxy;
}

/** A helper method run with the proxy as `this`, so its `this.create()` / `this._client` reach the wrappers. */
export const throughProxy: Wrap = (method, _self, proxy) => (...args: any[]) => method.apply(proxy, args);

export function resolveRequest(opts: MeterOptions, model: unknown): Metered {
  const tenant = typeof opts.tenant === 'function' ? opts.tenant() : opts.tenant;
  const user = typeof opts.user === 'function' ? opts.user() : opts.user;
  const name = typeof model === 'string' ? model : 'unknown';
  return { tenant, user, model: opts.feature ? opts.feature(name) : name };
}

/** Records the usage (in the background); a zero or missing count records nothing. */
export function record(fm: FlagMeter, m: Metered, tokens: number | undefined): void {
  if (!tokens || tokens <= 0 || !Number.isInteger(tokens)) return;
  try {
    fm.track({ tenant: m.tenant, feature: m.model, tokens, ...(m.user ? { user: m.user } : {}) })
      .catch((err) => fm.report(asError(err)));
  } catch (err) {
    fm.report(asError(err));
  }
}

const asError = (err: unknown) => (err instanceof FlagMeterError ? err : new FlagMeterError(`FlagMeter could not record usage: ${(err as Error)?.message ?? String(err)}`));

/**
 * Runs `onResult` on what the provider's promise resolves to, once, before the caller sees it; the
 * promise itself is returned unchanged. The answer is parsed by the APIPromise's parseResponse
 * (then/await, withResponse()) or, for the promises the providers' helpers derive from it, through
 * its _thenUnwrap: both are hooked on this instance. asResponse() callers' bodies stay unread.
 */
export function onParsed<P>(promise: P, onResult: (value: any) => void): P {
  const p = promise as { parseResponse?: (...args: any[]) => Promise<unknown>; _thenUnwrap?: (transform: (v: any, props: any) => any, ...rest: any[]) => unknown };
  let seen = false;
  const once = (value: unknown) => {
    if (seen) return;
    seen = true;
    try { onResult(value); } catch { /* metering never breaks the call */ }
  };
  if (typeof p.parseResponse !== 'function') {
    (promise as unknown as Promise<unknown>).then(once, () => {});
    return promise;
  }
  const parseResponse = p.parseResponse;
  p.parseResponse = async (...args: any[]) => {
    const value = await parseResponse.apply(promise, args);
    once(value);
    return value;
  };
  const thenUnwrap = p._thenUnwrap;
  if (typeof thenUnwrap === 'function') {
    p._thenUnwrap = (transform, ...rest) => thenUnwrap.call(promise, (value: unknown, props: unknown) => {
      once(value);
      return transform(value, props);
    }, ...rest);
  }
  return promise;
}

export interface StreamTap {
  /** sees each item; true hides it from the caller (the usage-only chunk the wrapper asked for) */
  item(value: any): boolean | void;
  /** once, when the stream ends, breaks or fails */
  end(): void;
}

/** Taps the stream's items as the caller iterates it (the same object; tee() and toReadableStream() go through it too). */
export function tapStream(stream: any, tap: StreamTap): void {
  if (!stream || typeof stream[Symbol.asyncIterator] !== 'function') return;
  const iterate = stream[Symbol.asyncIterator];
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    try { tap.end(); } catch { /* metering never breaks the call */ }
  };
  stream[Symbol.asyncIterator] = function () {
    const it = iterate.call(this);
    return {
      async next() {
        for (;;) {
          let r;
          try {
            r = await it.next();
          } catch (err) {
            end();
            throw err;
          }
          if (r.done) {
            end();
            return r;
          }
          let hide = false;
          try { hide = tap.item(r.value) === true; } catch { /* ignore */ }
          if (!hide) return r;
        }
      },
      async return(value?: unknown) {
        end();
        return it.return ? it.return(value) : { done: true, value };
      },
      async throw(err?: unknown) {
        end();
        if (it.throw) return it.throw(err);
        throw err;
      },
      [Symbol.asyncIterator]() { return this; },
    };
  };
}

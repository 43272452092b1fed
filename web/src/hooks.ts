// Small hooks the views share.
import { signal } from '@preact/signals';
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describe } from './api/http.ts';

/** Wall clock, ticking each second, for countdowns and "updated 3 s ago". */
export const clock = signal(Date.now());
setInterval(() => { clock.value = Date.now(); }, 1000);

/** The element's content width, following resizes (the chart draws in real pixels, not a stretched viewBox). */
export function useWidth(ref: RefObject<HTMLElement | null>, fallback: number): number {
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth || fallback);
    const ro = new ResizeObserver(([entry]) => { if (entry) setWidth(Math.round(entry.contentRect.width)); });
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref.current]);
  return width;
}

/** `value`, but changing at most once per `ms`: live usage moves twice a second, refetching details need not. */
export function useThrottled<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (Object.is(value, current)) return;
    const wait = Math.max(0, last.current + ms - Date.now());
    const timer = setTimeout(() => {
      last.current = Date.now();
      setCurrent(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, current, ms]);
  return current;
}

/**
 * A list a page shows: read when the page opens (and when a value in `deps` changes); load() reads
 * it again after a change. A failed read keeps the last list and says why (error); a good one clears it.
 */
export function useList<T>(read: () => Promise<T[]>, deps: unknown[] = []) {
  const [items, setItems] = useState<T[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const load = () => read().then((list) => { setItems(list); setError(undefined); }, (err: Error) => setError(describe(err)));
  useEffect(() => { void load(); }, deps);
  return { items, error, setError, load };
}

// Where pages built elsewhere join the console. The flags page (issue #12) registers itself with one
// line in web/src/main.tsx — `registerFlagsPage(FlagsPage)` — and then appears in the navigation
// (for callers with the flags scope, or admin) at #/flags. Until then neither the entry nor the page exists.
import type { ComponentType } from 'preact';
import { signal } from '@preact/signals';

export const flagsPage = signal<ComponentType | undefined>(undefined);

export function registerFlagsPage(page: ComponentType): void {
  flagsPage.value = page;
}

// esbuild bundles the stylesheet imported by main.tsx; tsc only needs to know such imports exist.
declare module '*.css';

// Types for scripts/pages-base.mjs (plain Node, so the workflow runs it before npm ci).
export function pagesBase(repository: string): string;

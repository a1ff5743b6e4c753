// Types for scripts/setup.mjs (plain Node: it runs before npm ci).
export interface SystemNeed {
  what: string;
  pkg: string;
  present(): boolean;
}
export const SYSTEM_NEEDS: SystemNeed[];
export function depsStale(dir?: string): boolean;
export function installHint(missing: Pick<SystemNeed, 'what' | 'pkg'>[], opts?: { debian?: boolean; root?: boolean }): string;

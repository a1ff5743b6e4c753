// Types for flashfs.mjs (plain JavaScript so the interpreter's worker can load it).
import type { ChipName } from '../app.ts';

export type FsKind = 'littlefs' | 'fat';
export type FsEntry = { dir: true } | { dir: false; data: Uint8Array };
export interface FsImage {
  seq: number;
  kind: FsKind;
  entries: Map<string, FsEntry>;
}

export const BLOCK_SIZE: number;
export const SECTOR_ERASE_MS: number;
export const PAGE_PROGRAM_MS: number;
export function dataWriteMs(bytes: number, newBlocks: number): number;
export function metaCommitMs(n: number): number;
export function fsRegion(chip: ChipName, flashSize: number): { offset: number; size: number } | null;
export function parseImage(region: Uint8Array): FsImage | 'empty' | 'corrupt';
export function isErased(region: Uint8Array): boolean;
export function serializeImage(image: FsImage): Uint8Array;
export function usedBlocks(entries: Map<string, FsEntry>): number;
export function writeImage(region: Uint8Array, image: FsImage): void;
export function imageSeq(region: Uint8Array): number;
export function normPath(path: string): string;
export function defaultBootPy(chip: ChipName): string;

/** One figure in bench/results.json (docs/contracts.md, "Benchmarks"). */
export interface BenchFigure {
  value: number;
  unit: string;
  /** value ÷ its bound or peer measured in the same run, where the contract defines one */
  ratio?: number;
  /** a few words on what the ratio is against */
  note?: string;
}
export type BenchResults = Record<string, BenchFigure>;
/** A tests/bench/*.bench.ts module: its default export measures and returns its figures. */
export interface BenchModule {
  default: () => Promise<BenchResults>;
}

// The autotuner's memory for one context: the kernel variant chosen for each "kernel|shape" key
// (src/kernels/autotune.ts measures and records them, launchers such as conv3x3 read them), and
// where the choices persist between runs. Policy of the kernels layer, so it lives here, beside
// the context rather than in it.

import type { GpuContext } from '../gpu/index.js';

/** Where choices live between runs (the Node edge keeps a JSON file in the cache). */
export interface TuningStore {
  save(choices: Record<string, string>): void;
}

export class Tuning {
  private readonly choices = new Map<string, string>();
  /** The choices the store keeps: measured here or read from the store, never borrowed ones. */
  private readonly own = new Map<string, string>();
  /** Set by the edge to keep choices across runs; autotuneConv saves through it. */
  store: TuningStore | null = null;

  get(key: string): string | undefined {
    return this.choices.get(key);
  }

  has(key: string): boolean {
    return this.choices.has(key);
  }

  /** Records a choice measured here or read from the store's file. */
  set(key: string, variant: string): void {
    this.choices.set(key, variant);
    this.own.set(key, variant);
  }

  /**
   * Uses a choice made elsewhere (by the run a checkpoint resumes) for this run only: the store
   * never keeps it, since a checkpoint is a file anyone may have edited.
   */
  borrow(key: string, variant: string): void {
    this.choices.set(key, variant);
  }

  /** Forgets every choice, so that the autotuner measures again. */
  clear(): void {
    this.choices.clear();
    this.own.clear();
  }

  /** Every choice in use, as checkpoints keep them. */
  record(): Record<string, string> {
    return Object.fromEntries(this.choices);
  }

  /** The choices the store keeps (borrowed ones left out). */
  owned(): Record<string, string> {
    return Object.fromEntries(this.own);
  }
}

const tunings = new WeakMap<GpuContext, Tuning>();

/** The context's tuning choices (empty until the edge loads some or the autotuner runs). */
export function tuningFor(ctx: GpuContext): Tuning {
  let tuning = tunings.get(ctx);
  if (!tuning) {
    tuning = new Tuning();
    tunings.set(ctx, tuning);
  }
  return tuning;
}

// One measurement, as written to bench/results/latest.json.

export interface BenchRecord {
  impl: 'wgpu-style' | 'tfjs-webgpu' | 'tfjs-wasm' | 'pytorch';
  op: string;
  pass: string;
  layer: number | null;
  shape: number[];
  size: number;
  medianMs: number;
  minMs: number;
  gflops: number | null;
  gbps: number | null;
}

export function summarize(
  base: Omit<BenchRecord, 'medianMs' | 'minMs' | 'gflops' | 'gbps'>,
  timesMs: number[],
  flops: number | null,
  bytes: number | null,
): BenchRecord {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const medianMs = sorted[Math.floor(sorted.length / 2)]!;
  return {
    ...base,
    medianMs,
    minMs: sorted[0]!,
    gflops: flops === null ? null : flops / (medianMs * 1e6),
    gbps: bytes === null ? null : bytes / (medianMs * 1e6),
  };
}

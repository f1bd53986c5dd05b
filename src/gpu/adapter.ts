// What an adapter is, in plain data and in words: the summary a context keeps (vendor, features,
// subgroup size) and the one-line description logs and errors use.

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  /** Smallest subgroup size the adapter may use (0 when it does not say). */
  subgroupMinSize: number;
}

export function summarize(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  return {
    vendor: info.vendor || 'unknown',
    architecture: info.architecture || 'unknown',
    device: info.device || '',
    description: info.description || '',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features: [...adapter.features].sort(),
    subgroupMinSize: (info as { subgroupMinSize?: number }).subgroupMinSize ?? 0,
  };
}

export function describeAdapter(a: AdapterSummary): string {
  const name = a.description || a.device || 'unnamed adapter';
  return `${name} (vendor ${a.vendor}, architecture ${a.architecture}${a.isFallbackAdapter ? ', software fallback' : ''})`;
}

// A style job's state between two steps: everything the optimiser needs to go on as if it had
// never stopped. Browser-safe; the Node edge adds identities of inputs and settings and writes it.

export interface JobState {
  /** The scale in progress, 1-based. */
  scale: number;
  /** Steps of that scale already taken. */
  step: number;
  width: number;
  height: number;
  /** The image in the seed's space, [1, 3, height, width]. */
  image: Float32Array;
  /** Adam's first and second moments, the image's shape. */
  adamM: Float32Array;
  adamV: Float32Array;
  /** The conv3x3 variants the run used (kernel|shape -> variant), so a resumed run computes alike. */
  tuning: Record<string, string>;
}

export interface CheckpointHooks {
  /** Hand out the state every this many steps of a scale (and when the run is aborted). */
  every: number;
  write: (state: JobState) => void | Promise<void>;
}

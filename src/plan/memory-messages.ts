// The memory plan's words for people: the refusal of a plan over the budget (naming the option to
// change and a value that fits) and the log line about the scales that recompute.

import { OptionError } from '../util/errors.js';
import { MiB, type MemoryPlan } from './memory-plan.js';

/**
 * Refuses, before any work, a plan with a scale over the budget even with checkpointing: an
 * OptionError naming maxMemory, the largest size that fits and the budget that would do.
 */
export function checkMemory(plan: MemoryPlan): void {
  const { over, budgetMiB } = plan;
  if (!over) return;
  const need = Math.ceil(over.recomputeBytes / MiB);
  if (over.styleScale) {
    const { given, largest } = over.styleScale;
    throw new OptionError(
      'styleScale',
      given,
      `is ${given}: the style image would be ${Math.round(over.width * given)}×${Math.round(over.height * given)} at the ` +
        `${over.width}×${over.height} scale, which needs ${need} MiB of GPU memory, more than the ${budgetMiB} MiB budget: use at most ${largest}`,
    );
  }
  const fix = over.largestSide > 0 ? `use a size of at most ${over.largestSide} px, or ` : '';
  throw new OptionError(
    'maxMemory',
    budgetMiB,
    `is ${budgetMiB} MiB${plan.isDefault ? ' (the default)' : ''}, too little for the ${over.width}×${over.height} scale, which needs ` +
      `${need} MiB of GPU memory even with checkpointing: ${fix}allow at least ${need} MiB`,
  );
}

/** One line for the log about the scales that recompute (null when none does). */
export function describeMemoryPlan(plan: MemoryPlan): string | null {
  const recomputing = plan.scales.filter((s) => s.recompute);
  if (recomputing.length === 0) return null;
  const mib = (bytes: number) => `${Math.ceil(bytes / MiB)} MiB`;
  const each = recomputing.map((s) => `${s.width}×${s.height} needs ${mib(s.plainBytes)}, ${mib(s.recomputeBytes)} recomputing`);
  return `GPU memory over the ${plan.budgetMiB} MiB budget: checkpointing (each VGG block recomputed in the backward) where a scale needs it: ${each.join('; ')}`;
}

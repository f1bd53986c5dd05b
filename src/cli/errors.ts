// Errors that are the user's to fix, worded for the command line: one line, exit code 2.
// The core's errors carry data (a setting's key, what Dawn offers); the words are chosen here.

import {
  GpuError,
  NoAdapterError,
  NullBackendError,
  TensorTooLargeError,
  UnknownAdapterError,
  UnknownBackendError,
  type AdapterListing,
  type DeviceSetting,
} from '../gpu/index.js';
import { flagFor } from '../plan/settings.js';
import { listWords, OptionError, optionMessage, UserError } from '../util/errors.js';

export class UsageError extends UserError {}

export function positiveInt(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${name} must be a whole number >= 1, got "${text}"`);
  return value;
}

export { flagFor };

/** The line to print for an error a person can fix; null for a bug (printed with its stack). */
export function userMessage(err: unknown): string | null {
  if (err instanceof OptionError) return optionMessage(err, flagFor);
  if (err instanceof UnknownBackendError) {
    return `${given('--backend', err.backend)} is not a backend Dawn knows: use one of ${err.known.join(', ')}${adaptersHere(err.available)}`;
  }
  if (err instanceof UnknownAdapterError) {
    return (
      `${given('--adapter', err.adapter)} is in no ${err.backend} adapter's name${adaptersHere(err.available)}: ` +
      'give part of one of those names (case-sensitive), with --backend for an adapter of another backend'
    );
  }
  if (err instanceof NullBackendError) {
    return `${given('--backend', err.backend)} computes nothing (Dawn's null backend runs no shaders): leave it out to use ${err.defaultBackend}, or name another backend`;
  }
  if (err instanceof NoAdapterError) return noAdapterMessage(err);
  if (err instanceof TensorTooLargeError) return `${err.message}: use a smaller --size`;
  if (err instanceof UserError || err instanceof GpuError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  // Node's parseArgs explains over several lines (how to pass a value starting with a dash).
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return (err as Error).message.replace(/\s*\n\s*/g, ' ');
  return null;
}

/** `--backend bogus`, or `WGPU_STYLE_BACKEND=bogus` when the value came from the environment. */
function given(flag: string, setting: DeviceSetting): string {
  return setting.env ? `${setting.env}=${setting.value}` : `${flag} ${setting.value}`;
}

function adaptersHere(available: readonly AdapterListing[]): string {
  if (available.length === 0) return '; Dawn finds no adapter on this machine';
  return `; the adapters here are ${listWords(available.map((a) => `"${a.name}" (--backend ${a.backend})`))}`;
}

function noAdapterMessage(err: NoAdapterError): string {
  const real = err.available.filter((a) => a.backend !== 'null');
  const tried = `no WebGPU adapter found (tried: ${err.tried}${err.detail ? `; ${err.detail.replace(/\s*\n\s*/g, ' ')}` : ''})`;
  if (real.length > 0) {
    const backends = [...new Set(real.map((a) => a.backend))];
    return `${tried}${adaptersHere(real)}: use ${listWords(backends.map((b) => `--backend ${b}`))}`;
  }
  return (
    `${tried}. A Vulkan, Metal or D3D12 driver is needed. Run \`npm run setup\`, which installs the Vulkan loader and ` +
    "Mesa's software driver (lavapipe) on Debian/Ubuntu; on Debian bookworm that is " +
    '`apt-get install -t bookworm-backports libvulkan1 mesa-vulkan-drivers` (Mesa >= 25; Dawn rejects Mesa 22). ' +
    'With a GPU, install its vendor driver.'
  );
}

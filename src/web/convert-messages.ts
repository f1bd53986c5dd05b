// What the page and its conversion worker (convert-worker.ts) say to each other.

export interface ConvertRequest {
  files: Array<{ name: string; bytes: Uint8Array }>;
}

/** `bin` null: the file was already a .bin (decoded and checked by the page). */
export type ConvertReply = { ok: true; bin: Uint8Array | null; format: string } | { ok: false; message: string };

/** Converts `files` in a worker (`convert-worker.js`, built beside main.js); the worker ends with the call. */
export function convertInWorker(files: ConvertRequest['files']): Promise<ConvertReply> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('convert-worker.js', location.href), { type: 'module' });
    worker.onmessage = (e: MessageEvent<ConvertReply>) => {
      worker.terminate();
      resolve(e.data);
    };
    worker.onerror = (e) => {
      worker.terminate();
      resolve({ ok: false, message: `the conversion worker failed: ${e.message}` });
    };
    worker.postMessage(
      { files } satisfies ConvertRequest,
      files.map((f) => f.bytes.buffer as ArrayBuffer),
    );
  });
}

// Ctrl-C for the long commands (style run, video, batch): the first stops the work at its next safe
// point (a step, a frame, an image), saying what is kept; the second quits at once.

export interface Interrupt {
  signal: AbortSignal;
  /** Stops listening (once the work is over, the default Ctrl-C applies again). */
  dispose(): void;
}

/** Listens for Ctrl-C: the first writes `said` to stderr and aborts `signal`, the second exits 130. */
export function stopOnCtrlC(said: string): Interrupt {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`\n${said}\n`);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: abort.signal, dispose: () => process.off('SIGINT', onSigint) };
}

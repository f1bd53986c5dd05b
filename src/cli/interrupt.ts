// Ctrl-C for the long commands (style run, video, batch): the first stops the work at its next safe
// point (a step, a frame, an image), saying what is kept; the second quits at once. SIGTERM quits
// at once (exit 143) unless a command takes it over (the queue's worker stops gracefully).

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

let sigtermHandler: (() => void) | null = null;

/** SIGTERM quits at once (through 'exit', so that no temporary file stays), or calls the handler a command set. */
export function quitOnSigterm(): void {
  process.on('SIGTERM', () => (sigtermHandler ? sigtermHandler() : process.exit(143)));
}

/** Handles SIGTERM in this command's own way (null: quit at once again). */
export function takeSigterm(handler: (() => void) | null): void {
  sigtermHandler = handler;
}

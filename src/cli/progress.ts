// Progress on stderr: a redrawn bar on a terminal, a line every 10% otherwise.

export function byteProgress(label: string, stream: NodeJS.WriteStream = process.stderr): (received: number, total: number | null) => void {
  const started = Date.now();
  let lastTenth = -1;
  let lastDraw = 0;
  return (received, total) => {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    const rate = `${mb(received / seconds)} MB/s`;
    if (stream.isTTY) {
      const now = Date.now();
      if (now - lastDraw < 100 && received !== total) return;
      lastDraw = now;
      const fraction = total ? received / total : 0;
      const width = 30;
      const bar = total
        ? `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${(fraction * 100).toFixed(0).padStart(3)}%`
        : '';
      stream.write(`\r${label} ${bar} ${mb(received)}${total ? `/${mb(total)}` : ''} MB ${rate}   `);
      if (received === total) stream.write('\n');
    } else if (total) {
      const tenth = Math.floor((received / total) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        stream.write(`${label}: ${tenth * 10}% (${mb(received)}/${mb(total)} MB, ${rate})\n`);
      }
    }
  };
}

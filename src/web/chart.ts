// A minimal live line chart of the total loss (log scale), drawn on a canvas.

export function drawLossChart(canvas: HTMLCanvasElement, points: ReadonlyArray<{ x: number; loss: number }>): void {
  const g = canvas.getContext('2d')!;
  const { width, height } = canvas;
  g.clearRect(0, 0, width, height);
  g.fillStyle = '#555';
  g.font = '11px system-ui';
  g.fillText('total loss (log scale) by step', 8, 14);
  const finite = points.filter((p) => Number.isFinite(p.loss) && p.loss > 0);
  if (finite.length < 2) return;
  const logs = finite.map((p) => Math.log10(p.loss));
  const [lo, hi] = [Math.min(...logs), Math.max(...logs)];
  const maxX = Math.max(...finite.map((p) => p.x));
  const px = (x: number) => 40 + ((width - 50) * x) / maxX;
  const py = (l: number) => height - 20 - ((height - 40) * (l - lo)) / (hi - lo || 1);
  g.strokeStyle = '#d1495b';
  g.lineWidth = 2;
  g.beginPath();
  finite.forEach((p, i) => (i === 0 ? g.moveTo(px(p.x), py(logs[i]!)) : g.lineTo(px(p.x), py(logs[i]!))));
  g.stroke();
  g.fillText(finite[0]!.loss.toPrecision(3), 2, py(logs[0]!));
  g.fillText(finite.at(-1)!.loss.toPrecision(3), width - 60, py(logs.at(-1)!) - 4);
}

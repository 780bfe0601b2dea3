import type { WriteStream } from 'node:tty';
import type { Progress } from '../targets/local.js';

const REDRAW_MS = 100;

/** A one-line progress display on a terminal; callers only create it when stderr is a TTY. */
export function progressReporter(stream: WriteStream) {
  const started = Date.now();
  let finishedBytes = 0;
  let lastDraw = 0;
  const width = () => (stream.columns ?? 80) - 1;
  return {
    update({ index, total, path, size, done }: Progress) {
      const now = Date.now();
      if (done >= size) finishedBytes += size;
      if (now - lastDraw < REDRAW_MS && done < size) return;
      lastDraw = now;
      const seconds = (now - started) / 1000;
      const bytes = finishedBytes + (done < size ? done : 0);
      const rate = seconds > 0.2 ? `  ${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s` : '';
      const percent = size > 0 ? `${Math.floor((100 * done) / size)}%` : '';
      const line = `assay: file ${index}/${total} ${percent}${rate}  ${path}`;
      stream.write(`\r${line.slice(0, width()).padEnd(width())}`);
    },
    done() {
      stream.write(`\r${' '.repeat(width())}\r`);
    },
  };
}

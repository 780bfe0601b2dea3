import type { WriteStream } from 'node:tty';

/** A one-line progress display on a terminal; callers only create it when stderr is a TTY. */
export function progressReporter(stream: WriteStream) {
  let bytes = 0;
  const started = Date.now();
  return {
    update({ index, total, path, size }: { index: number; total: number; path: string; size: number }) {
      bytes += size;
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? ` ${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s` : '';
      const line = `assay: ${index}/${total} files${rate}  ${path}`;
      stream.write(`\r${line.slice(0, (stream.columns ?? 80) - 1).padEnd((stream.columns ?? 80) - 1)}`);
    },
    done() {
      stream.write(`\r${' '.repeat((stream.columns ?? 80) - 1)}\r`);
    },
  };
}

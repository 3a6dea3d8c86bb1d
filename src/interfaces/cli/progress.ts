/** A one-line progress display on stderr, only when stderr is a terminal. */
import type { ProgressEvent } from '../../runtime/types.js';

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { onProgress?: (e: ProgressEvent) => void; clear(): void } {
  if (!stream.isTTY) return { clear() {} };
  let last = 0;
  let shown = false;
  return {
    onProgress(e) {
      const now = Date.now();
      if (e.phase !== 'done' && now - last < 100) return;
      last = now;
      const count = e.total > 0 ? ` ${e.done}/${e.total}` : '';
      stream.write(`\r\x1b[K${e.link}: ${e.phase}${count}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

// Closing a connection whose request body was not read (413, 408) without losing the answer: Node closes the
// socket right after the response (`Connection: close`), and a close with unread bytes in the kernel's buffer
// sends a TCP reset, which can discard the answer before the client reads it. As nginx's lingering close:
// end our side, keep reading and dropping what the client still sends for a bounded time and size, then close.

import type { Socket } from 'node:net';

/** How long and how much of a refused body is read and dropped after the answer. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 4 * 1024 * 1024;

/** Call before answering with `Connection: close`: Node's close of `socket` becomes a bounded lingering close. */
export function lingerBeforeClose(socket: Socket): void {
  if (socket.destroyed) return;
  (socket as Socket & { destroySoon?: () => void }).destroySoon = () => {
    socket.end();
    let dropped = 0;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.on('data', (d: Buffer) => {
      dropped += d.length;
      if (dropped > LINGER_BYTES) socket.destroy();
    });
    socket.once('close', () => clearTimeout(timer));
    socket.resume();
  };
}

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { BackendStats } from './stats.ts';

export const WEBSOCKET_PATH = '/ws';

/** `GET /ws` upgrades: first message `{"event":"hello","instance":…,"pid":…}`, then an echo. */
export interface WebSocketEcho {
  /** Wire to the http server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Refuse new upgrades (503) and start the close handshake on every open socket. */
  closeAll(code?: number, reason?: string): void;
  /** Drop every open socket without a handshake. */
  terminateAll(): void;
  readonly open: number;
}

function refuse(socket: Duplex, status: string, name: string): void {
  socket.end(
    `HTTP/1.1 ${status}\r\nx-backend-instance: ${name}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
  );
}

export function createWebSocketEcho(name: string, stats: BackendStats): WebSocketEcho {
  const wss = new WebSocketServer({ noServer: true });
  const clients = new Set<WebSocket>();
  let closing = false;

  wss.on('headers', (headers) => {
    headers.push(`x-backend-instance: ${name}`);
  });

  return {
    handleUpgrade(req, socket, head) {
      const path = new URL(req.url ?? '/', 'http://backend').pathname;
      if (path !== WEBSOCKET_PATH) return refuse(socket, '404 Not Found', name);
      if (closing) return refuse(socket, '503 Service Unavailable', name);
      socket.on('error', () => {});
      wss.handleUpgrade(req, socket, head, (ws) => {
        clients.add(ws);
        stats.webSocketOpened();
        ws.on('error', () => {});
        ws.once('close', () => {
          clients.delete(ws);
          stats.webSocketClosed();
        });
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
        ws.send(JSON.stringify({ event: 'hello', instance: name, pid: process.pid }));
      });
    },
    closeAll(code = 1001, reason = 'backend shutting down') {
      closing = true;
      for (const ws of clients) ws.close(code, reason);
    },
    terminateAll() {
      closing = true;
      for (const ws of clients) ws.terminate();
    },
    get open() {
      return clients.size;
    },
  };
}

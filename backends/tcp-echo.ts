import net, { type AddressInfo } from 'node:net';

export interface RunningTcpEcho {
  readonly port: number;
  /** Connections open now. */
  readonly open: number;
  /** Stop accepting; open connections get `timeoutMs` to end, then are cut. Idempotent. */
  close(options?: { timeoutMs?: number }): Promise<{ graceful: boolean }>;
}

/**
 * The sample TCP backend (`PROTOCOL=tcp`): greets each connection with `hello <name>` and
 * answers every line with `<name> <line>`, so a client knows which server it reached on every
 * exchange, as `x-served-by` tells an HTTP client.
 */
export async function startTcpEcho(options: {
  name: string;
  host: string;
  port: number;
}): Promise<RunningTcpEcho> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.write(`hello ${options.name}\n`);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (line === 'quit') {
          socket.end(`bye ${options.name}\n`);
          return;
        }
        socket.write(`${options.name} ${line}\n`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<{ graceful: boolean }> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    get open() {
      return sockets.size;
    },
    close({ timeoutMs = 5000 } = {}) {
      closing ??= new Promise((resolve) => {
        const timer = setTimeout(() => {
          for (const s of sockets) s.destroy();
          resolve({ graceful: false });
        }, timeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve({ graceful: true });
        });
        // Tell open clients to finish: each gets a goodbye and a half-close.
        for (const s of sockets) s.end(`bye ${options.name}\n`);
      });
      return closing;
    },
  };
}

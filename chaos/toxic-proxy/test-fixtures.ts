/** Port-0 TCP servers and socket helpers for the toxic proxy's tests. */
import net, { type AddressInfo, type Socket } from 'node:net';

export interface TestServer {
  port: number;
  address: string;
  close(): Promise<void>;
}

/** Starts a TCP server on 127.0.0.1:0; every accepted socket is tracked and destroyed on close. */
export async function startServer(onSocket: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Echoes everything back; ends its side when the client ends. */
export const startEcho = () => startServer((socket) => socket.pipe(socket));

/** Sends `bytes` bytes on connect, then ends. */
export const startBlast = (bytes: number) =>
  startServer((socket) => {
    socket.end(Buffer.alloc(bytes, 'x'));
    socket.resume();
  });

export function connect(address: string): Promise<Socket> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port), allowHalfOpen: true }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Collects what a socket receives until it has `bytes` bytes, or it ends/closes. */
export function receive(socket: Socket, bytes: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= bytes) done();
    };
    const onEnd = () => done();
    const onError = (err: Error) => done(err);
    const timer = setTimeout(() => done(new Error(`timed out with ${size}/${bytes} bytes`)), timeoutMs);
    socket.on('data', onData).once('end', onEnd).once('close', onEnd).once('error', onError);
  });
}

/** Writes `text` and waits for the echo of it; resolves the round-trip time in ms. */
export async function roundTrip(socket: Socket, text: string): Promise<number> {
  const start = performance.now();
  const reply = receive(socket, Buffer.byteLength(text));
  socket.write(text);
  const got = (await reply).toString();
  if (got !== text) throw new Error(`echo mismatch: sent ${text.length} bytes, got ${got.length}`);
  return performance.now() - start;
}

export interface Outcome {
  data: Buffer;
  /** ms from the call until 'end' (FIN) */
  endAt?: number;
  /** ms from the call until 'close' */
  closeAt: number;
  error?: string;
}

/** Reads everything until the socket closes; records when it ended, closed, and any error code. */
export function outcome(socket: Socket, timeoutMs = 10_000): Promise<Outcome> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const result: Partial<Outcome> = {};
    const timer = setTimeout(() => reject(new Error('socket did not close in time')), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => {
      result.endAt = performance.now() - start;
      socket.end();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      result.error = err.code ?? err.message;
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ ...result, data: Buffer.concat(chunks), closeAt: performance.now() - start });
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

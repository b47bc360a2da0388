import net from 'node:net';

/**
 * One connection to a line-echo service (the sample TCP backend, through a tcp listener): it
 * reads the greeting (`hello <server>`), then each line it sends comes back as
 * `<server> <line>`, so every exchange says which server answered.
 */
export class LineConnection {
  private buffered = '';
  private waiting: ((line: string | undefined) => void) | undefined;
  private readonly lines: string[] = [];
  /** When the connection closed (either side), wall clock; undefined while open. */
  closedAt: number | undefined;
  /** Why it closed, when it broke (ECONNRESET, ECONNREFUSED, ...). */
  error: string | undefined;
  /** The server that greeted it. */
  server = '';

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      for (let nl = this.buffered.indexOf('\n'); nl !== -1; nl = this.buffered.indexOf('\n')) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.flush();
    });
    socket.on('close', () => {
      this.closedAt ??= Date.now();
      this.flush();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.error ??= err.code ?? err.message;
    });
  }

  /** Connects and reads the greeting; rejects (with the reason) when none comes in time. */
  static async open(host: string, port: number, timeoutMs: number): Promise<LineConnection> {
    const connection = new LineConnection(net.connect({ host, port }));
    const greeting = await connection.nextLine(timeoutMs);
    if (!greeting?.startsWith('hello ')) {
      connection.close();
      throw new Error(connection.failure(greeting === undefined ? 'no_greeting' : 'bad_greeting'));
    }
    connection.server = greeting.slice(6);
    return connection;
  }

  /** Sends `line`; resolves with the server that echoed it, rejects when none did in time. */
  async exchange(line: string, timeoutMs = 5000): Promise<string> {
    this.socket.write(`${line}\n`);
    const answer = await this.nextLine(timeoutMs);
    const server = answer?.endsWith(` ${line}`) ? answer.slice(0, -line.length - 1) : undefined;
    if (!server) throw new Error(this.failure(answer === undefined ? 'no_echo' : 'bad_echo'));
    return server;
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  close(): void {
    this.socket.destroy();
  }

  /** The reason for a failed read: the socket's error, `closed` when it just closed, else `fallback`. */
  private failure(fallback: string): string {
    return this.error ?? (this.closed ? 'closed' : fallback);
  }

  private nextLine(timeoutMs: number): Promise<string | undefined> {
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.error ??= 'timeout';
        resolve(undefined);
      }, timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }

  private flush(): void {
    if (!this.waiting) return;
    const line = this.lines.shift();
    if (line === undefined && !this.closed) return;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting(line);
  }
}

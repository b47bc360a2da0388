import WebSocket from 'ws';

/**
 * The live memory of a Node process after a full collection (JS heap and the buffers outside
 * it), through its inspector (the process
 * runs with `--inspect=127.0.0.1:0`). RSS includes garbage V8 has not collected yet and grows
 * for minutes while V8 sizes its old generation; the heap after a forced full GC is what a leak
 * raises, so a short soak can judge it.
 */
export class HeapProbe {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown, error?: string) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      if (message.id === undefined) return;
      this.waiting.get(message.id)?.(message.result, message.error?.message);
      this.waiting.delete(message.id);
    });
    socket.on('close', () => {
      for (const settle of this.waiting.values()) settle(undefined, 'inspector connection closed');
      this.waiting.clear();
    });
  }

  /** Connects to the inspector URL a process printed on stderr ("Debugger listening on ws://..."). */
  static async connect(stderr: string): Promise<HeapProbe> {
    const url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(stderr)?.[1];
    if (!url)
      throw new Error('the process printed no inspector URL; was it started with --inspect=127.0.0.1:0?');
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new HeapProbe(socket);
  }

  /** Bytes of live memory right after a full garbage collection: JS heap plus buffers outside it. */
  async liveHeapBytes(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    const answer = (await this.call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result?: { value?: string } };
    const usage = JSON.parse(answer.result?.value ?? '{}') as { heapUsed?: number; external?: number };
    if (usage.heapUsed === undefined || usage.external === undefined)
      throw new Error('inspector Runtime.evaluate: process.memoryUsage() gave no heapUsed/external');
    return usage.heapUsed + usage.external;
  }

  close(): void {
    this.socket.close();
  }

  private call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`inspector ${method}: no answer within 10 s`));
      }, 10_000);
      this.waiting.set(id, (result, error) => {
        clearTimeout(timer);
        if (error) reject(new Error(`inspector ${method}: ${error}`));
        else resolve(result);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }
}

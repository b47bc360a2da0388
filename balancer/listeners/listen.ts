import type { AddressInfo, Server } from 'node:net';
import { FaultlineError } from '../../core/errors.ts';
import { formatListenAddress } from '../config/index.ts';
import type { ListenAddress } from '../config/types.ts';

/** Binds `server`; the address it got (port 0 asks the OS), or FL_LISTEN_FAILED naming `what`. */
export function listen(server: Server, at: ListenAddress, what: string): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new FaultlineError(
          'FL_LISTEN_FAILED',
          `cannot listen for ${what} on ${formatListenAddress(at)}: ${err.code ?? err.message}`,
          { cause: err },
        ),
      );
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      resolve({ host: at.host, port: address.port });
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

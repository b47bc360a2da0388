import type { IncomingMessage, ServerResponse } from 'node:http';

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d+)?$/;

/**
 * The plain-HTTP side of a TLS listener: every request is answered `308` to the same host and
 * target over https (308 keeps the method and body, unlike 301). A missing or malformed Host
 * gets 400: the Location is built from it, and must not carry what a client smuggled in.
 */
export function redirectToHttps(httpsPort: number) {
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const host = HOST.exec(req.headers.host ?? '');
    const target = req.url?.startsWith('/') ? req.url : '/';
    if (!host) {
      res
        .writeHead(400, { 'content-type': 'text/plain', connection: 'close' })
        .end('a Host header is required\n');
      return;
    }
    const location = `https://${host[1]}${port}${target}`;
    res.writeHead(308, { location, 'content-type': 'text/plain', 'content-length': '0' }).end();
  };
}

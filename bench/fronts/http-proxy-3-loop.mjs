/**
 * The bare baseline (plain JavaScript: no transpiler hooks in the process): http-proxy-3 round-robin over the servers with a keep-alive agent each,
 * nothing else (no health checks, no retries, no metrics). Run as its own process:
 *   node http-proxy-3-loop.mjs PORT URL...
 */
import http from 'node:http';
import { createProxyServer } from 'http-proxy-3';

const [port, ...urls] = process.argv.slice(2);
const targets = urls.map((url) => ({
  url,
  agent: new http.Agent({ keepAlive: true, maxFreeSockets: 256 }),
}));
const proxy = createProxyServer({});
let next = 0;
http
  .createServer((req, res) => {
    const target = targets[next++ % targets.length];
    proxy.web(req, res, { target: target.url, agent: target.agent }, () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  })
  .listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

/** Whether `openssl` is on PATH (Node 20 cannot issue X.509 certificates by itself). */
export const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A throwaway CA and a certificate it signed for `localhost` and 127.0.0.1; `caFile` is for NODE_EXTRA_CA_CERTS. */
export interface TestPki {
  caFile: string;
  key: string;
  cert: string;
  remove: () => void;
}

/** Issues a fresh CA and a server certificate with `openssl`, in a temporary folder. */
export function testPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'dtsu-pki-'));
  const f = (name: string) => join(dir, name);
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=dtsu test CA');
  run('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('san.ext'));
  return {
    caFile: f('ca.pem'),
    key: readFileSync(f('server.key'), 'utf8'),
    cert: readFileSync(f('server.pem'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A listening server on 127.0.0.1 with its port and a `close` that also ends every open socket. */
export interface TestServer {
  port: number;
  close: () => Promise<void>;
}

async function listenTracked(server: Server | ReturnType<typeof createTlsServer>, sockets: Set<Socket>): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Pipes two sockets together; either one failing ends both. */
function splice(a: Socket, b: Socket, sockets: Set<Socket>): void {
  sockets.add(a).add(b);
  a.pipe(b).pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

/**
 * A TLS front on 127.0.0.1 that terminates TLS with `pki`'s certificate and forwards the
 * bytes to the plain port `upstreamPort()` (looked up per connection, so the front can
 * listen before its upstream): `https:`/`wss:` for a fake that speaks `http:`/`ws:`.
 */
export function tlsFront(pki: TestPki, upstreamPort: () => number): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createTlsServer({ key: pki.key, cert: pki.cert }, (tls) => splice(tls, connect(upstreamPort(), '127.0.0.1'), sockets));
  return listenTracked(server, sockets);
}

/** A CONNECT request the proxy saw: its target and its `Proxy-Authorization`. */
export interface Tunnel {
  target: string;
  auth: string | undefined;
}

/**
 * A minimal CONNECT proxy on 127.0.0.1 that requires Basic `corp:p@ss` and records each
 * tunnel; with `tls` it is an `https:` proxy (spoken to over TLS).
 */
export async function connectProxy(tls?: TestPki): Promise<TestServer & { url: string; tunnels: Tunnel[] }> {
  const tunnels: Tunnel[] = [];
  const sockets = new Set<Socket>();
  const refuse = (_req: unknown, res: { writeHead(s: number): { end(): void } }) => res.writeHead(405).end();
  const server: Server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, refuse) : createHttpServer(refuse);
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const auth = req.headers['proxy-authorization'];
    tunnels.push({ target: req.url ?? '', auth });
    sockets.add(client);
    client.on('error', () => client.destroy());
    if (auth !== `Basic ${Buffer.from('corp:p@ss').toString('base64')}`) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const at = (req.url ?? '').lastIndexOf(':');
    const upstream = connect(Number((req.url ?? '').slice(at + 1)), (req.url ?? '').slice(0, at).replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      splice(upstream, client, sockets);
    });
    upstream.on('error', () => client.destroy());
  });
  const listening = await listenTracked(server, sockets);
  return { ...listening, url: `${tls ? 'https' : 'http'}://corp:p%40ss@127.0.0.1:${listening.port}`, tunnels };
}

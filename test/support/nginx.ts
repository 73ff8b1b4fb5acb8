import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './waiting.js';
import { systemProgram } from './system-programs.js';

/**
 * The `location /mcp` of the README's "Running many replicas": what Streamable HTTP needs of a proxy.
 * Event streams pass as they are written (no buffering, HTTP/1.1 to the bridge, hours of read timeout),
 * and `Connection ""` keeps upstream connections alive instead of forwarding the client's `close`.
 */
export const MCP_LOCATION = `location /mcp {
      proxy_pass http://$mcp_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_cache off;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }`;

/**
 * With affinity: a session whose replica cannot be reached (stopped, crashed) is answered 404, as the
 * spec says for a session the server no longer has, so MCP clients start a new one instead of failing on 502.
 */
export const SESSION_GONE = `location @mcp_session_gone {
      if ($http_mcp_session_id = "") { return 502; }
      default_type application/json;
      return 404 '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Session not found: the replica that held it is gone; start a new session with initialize."},"id":null}';
    }`;

/**
 * How the balancer picks a replica for a request:
 * - `round-robin`: any replica (2026-07-28 and `--stateless` 2025);
 * - `session-hash`: the issue's `hash $http_mcp_session_id consistent` (initialize carries no session id);
 * - `replica-id`: session ids start with the replica's `--replica-id`, which a `map` turns into its upstream.
 */
export type Routing = 'round-robin' | 'session-hash' | 'replica-id';

export interface NginxOptions {
  /** `host:port` of each replica. */
  upstreams: string[];
  routing?: Routing;
  /** With `replica-id`: each upstream's `--replica-id`, in the same order. */
  replicaIds?: string[];
  /** The loopback address nginx connects to the replicas from (`proxy_bind`), so a replica can tell it from the clients. */
  proxyBind?: string;
}

/**
 * The http-level directives that choose `$mcp_upstream` for a request (README, "Running many replicas"):
 * the pool `mcp`, unless a session id names its replica.
 */
export function routingConfig({ upstreams, routing = 'round-robin', replicaIds = [] }: NginxOptions): string {
  const servers = upstreams.map((upstream) => `server ${upstream};`).join(' ');
  const balance = routing === 'session-hash' ? 'hash $http_mcp_session_id consistent; ' : '';
  const pool = `upstream mcp { ${balance}${servers} keepalive 32; }`;
  if (routing !== 'replica-id') return `${pool}\n  map $http_mcp_session_id $mcp_upstream { default mcp; }`;
  const own = upstreams.map((upstream, i) => `upstream mcp_${replicaIds[i]} { server ${upstream}; keepalive 8; }`).join('\n  ');
  const routes = replicaIds.map((id) => `"~^${id}\\." mcp_${id};`).join(' ');
  return `${pool}\n  ${own}\n  map $http_mcp_session_id $mcp_upstream { default mcp; ${routes} }`;
}

export interface Served {
  upstream: string;
  status: number;
  method: string;
  session: string;
}

export interface Nginx {
  /** The balancer's `/mcp`. */
  url: string;
  /** The replica (`host:port`) that served each request so far, in order, with its status, method and session id ('-' for none). */
  served(): Served[];
  close(): Promise<void>;
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket.destroy() !== undefined));
    socket.once('error', () => resolve(false));
  });

/** A real nginx on a free loopback port, with its own config, prefix, pid, temp and log files in a temp dir. */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  const nginx = systemProgram('nginx');
  if (!nginx) throw new Error('nginx is not installed: apt-get install nginx-light');
  const dir = mkdtempSync(join(tmpdir(), 'mcp-nginx-'));
  // Workers drop to an unprivileged user when the master runs as root: they must reach the temp dirs.
  chmodSync(dir, 0o755);
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(dir, temp));
    chmodSync(join(dir, temp), 0o777);
  }
  for (let attempt = 0; ; attempt++) {
    const port = await closedPort();
    writeFileSync(join(dir, 'nginx.conf'), configFor(dir, port, options));
    const child = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    while (!gone && !(await canConnect(port))) await new Promise((resolve) => setTimeout(resolve, 20));
    if (gone) {
      // Another process took the port between closedPort() and nginx's bind: try the next one.
      if (attempt < 3) continue;
      throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    }
    return {
      url: `http://127.0.0.1:${port}/mcp`,
      served: () =>
        readFileSync(join(dir, 'access.log'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => {
            const [upstream = '', status = '', method = '', session = ''] = line.split(' ');
            return { upstream, status: Number(status), method, session };
          }),
      close: async () => {
        // SIGTERM is nginx's fast shutdown: open event streams end at once.
        child.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** The README's location, with what a test's options add to it. */
function locationFor({ routing, proxyBind }: NginxOptions): string {
  const more = [routing === 'replica-id' ? 'error_page 502 = @mcp_session_gone;' : '', proxyBind ? `proxy_bind ${proxyBind};` : ''].filter(Boolean);
  return more.length ? MCP_LOCATION.replace(/\n {4}}$/, `\n      ${more.join('\n      ')}\n    }`) : MCP_LOCATION;
}

function configFor(dir: string, port: number, options: NginxOptions): string {
  return `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  log_format replicas '$upstream_addr $status $request_method $http_mcp_session_id';
  access_log ${join(dir, 'access.log')} replicas;
  ${routingConfig(options)}
  server {
    listen 127.0.0.1:${port};
    ${locationFor(options)}
    ${options.routing === 'replica-id' ? SESSION_GONE : ''}
  }
}
`;
}

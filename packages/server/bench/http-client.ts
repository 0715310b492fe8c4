/**
 * A small keep-alive HTTP client for the load generator (node:http with a pooled Agent: real
 * HTTP/1.1 over TCP to 127.0.0.1, lighter on the shared CPU than fetch). Any answer outside
 * 2xx is an error: the benchmark measures only successful work.
 */
import http from 'node:http';

/** A response read in full. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/** Raised for a non-2xx answer or a transport failure during the benchmark. */
export class BenchHttpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchHttpError';
  }
}

/** A keep-alive client for one origin with at most `connections` sockets. */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    base: string,
    connections: number,
    private readonly timeoutMs = 30_000,
    /** Sent with every request (e.g. `authorization: Bearer …`). */
    private readonly extraHeaders: http.OutgoingHttpHeaders = {},
  ) {
    this.url = new URL(base);
    if (this.url.hostname !== '127.0.0.1') throw new Error(`The benchmark talks to 127.0.0.1 only; got ${base}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  /** Sends one request; resolves with the answer when it is 2xx, rejects otherwise. */
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = { accept: 'application/fhir+json', ...this.extraHeaders };
    if (payload !== undefined) {
      headers['content-type'] = 'application/fhir+json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, path: this.url.pathname + path, method, headers, agent: this.agent, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            if (status < 200 || status > 299) {
              reject(new BenchHttpError(`${method} ${path} answered ${status}: ${text.slice(0, 300)}`));
            } else {
              resolve({ status, body: text });
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new BenchHttpError(`${method} ${path} timed out after ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof BenchHttpError ? err : new BenchHttpError(`${method} ${path} failed: ${err.message}`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Closes pooled connections. */
  close(): void {
    this.agent.destroy();
  }
}

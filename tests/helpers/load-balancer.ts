/**
 * A load balancer in front of several app instances, as production has: one
 * address for the browser, requests passed on with their Host header, each
 * to the instance `route` picks. It counts what each instance answered.
 */
import { createServer, type IncomingMessage, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancer {
  url: string;
  /** How many requests each instance got, by index. */
  served: number[];
  /** Which instance (index) gets a request; round-robin unless replaced. */
  route: (request: IncomingMessage, count: number) => number;
  close(): Promise<void>;
}

export async function startLoadBalancer(instances: string[]): Promise<LoadBalancer> {
  let count = 0;
  const balancer: LoadBalancer = {
    url: '',
    served: instances.map(() => 0),
    route: (_request, n) => n % instances.length,
    close: async () => {},
  };
  const server = createServer((request, response) => {
    const index = balancer.route(request, count++);
    balancer.served[index]!++;
    const target = new URL(instances[index]!);
    const upstream = httpRequest(
      { host: '127.0.0.1', port: target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.once('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  balancer.url = `http://localhost:${(server.address() as AddressInfo).port}`;
  balancer.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return balancer;
}

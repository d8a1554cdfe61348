/**
 * A TCP proxy between a PostgreSQL client and its server, to lose a COMMIT's
 * acknowledgement for real: armed, it forwards the next COMMIT to the server and then
 * cuts the connection at the server's answer, so the transaction is committed while the
 * client hears only that its connection died.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** The simple-query message `COMMIT` (type 'Q', length 11, text with its NUL). */
const COMMIT = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 11]), Buffer.from('COMMIT\0')]);

export class CommitCuttingProxy {
  private armed = false;
  /** How many COMMIT answers were cut. */
  cuts = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<CommitCuttingProxy> {
    const sockets = new Set<Socket>();
    let proxy: CommitCuttingProxy | null = null;
    const server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      let cutNext = false;
      client.on('data', (chunk: Buffer) => {
        if (proxy?.armed === true && chunk.includes(COMMIT)) {
          proxy.armed = false;
          cutNext = true;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (cutNext) {
          proxy!.cuts += 1;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    proxy = new CommitCuttingProxy(server, typeof addr === 'object' && addr !== null ? addr.port : 0);
    server.on('close', () => {
      for (const s of sockets) s.destroy();
    });
    return proxy;
  }

  /** The next COMMIT reaches the server; its answer never reaches the client. */
  armCommitCut(): void {
    this.armed = true;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

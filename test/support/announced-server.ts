/**
 * A server in a child process, for tests that need one alone (test/support/serve-entry.ts,
 * framework-domain-probe.ts): the child listens on a free port of 127.0.0.1, prints
 * `{"port": N}` on stdout and exits when its stdin closes; the test reads the port.
 */
import type { ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';

/** In the child: listens, announces the port, and exits once the parent closes stdin. */
export function announceWhenListening(server: Server): void {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

/** In the test: the port `child` announces on stdout (among its log lines, which are JSON too); rejects if it exits first. */
export function announcedPort(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const parsed: unknown = line.startsWith('{') ? JSON.parse(line) : undefined;
        const port = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'port') : undefined;
        if (typeof port === 'number') resolve(port);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
}

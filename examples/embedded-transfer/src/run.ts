/**
 * `node dist/run.js`: starts the receiver, then the sender with the
 * receiver's port, forwards the sender's hash of its final memory to the
 * receiver and exits with the receiver's verdict.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** The child's first message; rejects when it exits without one. */
function firstMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`${child.spawnfile} exited with ${code} before reporting`)));
  });
}

const receiver = fork(new URL('./receiver.js', import.meta.url));
const { port } = await firstMessage<{ port: number }>(receiver);
const sender = fork(new URL('./sender.js', import.meta.url), [String(port)]);
const { sha256 } = await firstMessage<{ sha256: string }>(sender);
receiver.send({ sha256 });
receiver.on('exit', (code) => (process.exitCode = code ?? 1));

#!/usr/bin/env node
// A stand-in for qemu-system-x86_64 in unit tests: serves a minimal QMP on the
// socket named by `-qmp unix:PATH,...` and answers every command with {}.
// FAKE_QEMU_FAIL=1: print an error and exit 1 at once (like a bad argument).
// FAKE_QEMU_IGNORE_TERM=1: ignore SIGTERM (like a hung 7.2 destination).
import net from 'node:net';

const args = process.argv.slice(2);
const qmp = args[args.indexOf('-qmp') + 1] ?? '';
const socketPath = qmp.replace(/^unix:/, '').split(',')[0];
process.stderr.write(`fake-qemu: started with ${args.length} arguments\n`);
if (process.env.FAKE_QEMU_FAIL) {
  process.stderr.write('fake-qemu: -device loader: cannot load file\n');
  process.exit(1);
}
if (process.env.FAKE_QEMU_IGNORE_TERM) process.on('SIGTERM', () => process.stderr.write('fake-qemu: ignoring SIGTERM\n'));

net
  .createServer((socket) => {
    socket.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: 'fake' }, capabilities: [] } })}\r\n`);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const request = JSON.parse(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        const result = request.execute === 'query-status' ? { status: 'prelaunch', running: false } : {};
        socket.write(`${JSON.stringify({ return: result, id: request.id })}\r\n`);
        if (request.execute === 'quit') process.exit(0);
      }
    });
  })
  .listen(socketPath);

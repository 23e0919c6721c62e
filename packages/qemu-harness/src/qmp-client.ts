/**
 * A QMP client over a unix socket: connect (retrying until QEMU has created
 * the socket), greeting, `qmp_capabilities`, commands with per-command
 * timeouts, events collected.
 *
 * Every wait is bounded: a QEMU 7.2 destination that got a bad multifd packet
 * stops answering QMP altogether, and callers must see a QmpTimeoutError then,
 * never a promise that stays pending.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { QemuHarnessError, QmpCommandError, QmpTimeoutError } from './errors.js';

/** The first message QEMU sends. */
export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}

/** An asynchronous QMP event, as QEMU sent it. */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

export interface QmpConnectOptions {
  /** Give up connecting (socket missing, refused, no greeting) after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /** Default timeout of each command. Default 10 s. */
  commandTimeoutMs?: number;
  /** Pause between connection attempts. Default 20 ms. */
  retryIntervalMs?: number;
  /** Stop retrying (e.g. QEMU exited). */
  signal?: AbortSignal;
}

export interface QmpExecuteOptions {
  /** This command's timeout instead of the client's default. */
  timeoutMs?: number;
}

interface Pending {
  command: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Errors on which a connect attempt is retried: QEMU has not created or bound the socket yet. */
const RETRYABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);

const DEFAULT_TIMEOUT_MS = 10_000;

export class QmpClient {
  /** Every event received so far, oldest first. */
  readonly events: QmpEvent[] = [];
  readonly commandTimeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private readonly eventWaiters = new Set<(event: QmpEvent) => void>();
  private readonly closeWaiters = new Set<(error: QemuHarnessError) => void>();
  private nextId = 1;
  private buffered = '';
  private closedError: QemuHarnessError | undefined;
  private greetingWaiter: ((greeting: QmpGreeting) => void) | undefined;
  private greetingValue: QmpGreeting | undefined;

  private constructor(
    private readonly socket: net.Socket,
    readonly path: string,
    commandTimeoutMs: number,
  ) {
    this.commandTimeoutMs = commandTimeoutMs;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new QemuHarnessError('ERR_QEMU_QMP_CLOSED', `QMP ${path}: ${error.message}`, { cause: error })));
    socket.on('close', () => this.fail(new QemuHarnessError('ERR_QEMU_QMP_CLOSED', `QMP ${path}: connection closed`)));
  }

  /** Connect to `path`, read the greeting and enter command mode. */
  static async connect(path: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + connectTimeoutMs;
    const socket = await connectWithRetry(path, deadline, options);
    const client = new QmpClient(socket, path, options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      await client.waitFor<QmpGreeting>('greeting', Math.max(1, deadline - Date.now()), (resolve) => {
        if (client.greetingValue) resolve(client.greetingValue);
        client.greetingWaiter = resolve;
        return () => (client.greetingWaiter = undefined);
      });
      await client.execute('qmp_capabilities', undefined, { timeoutMs: Math.max(1, deadline - Date.now()) });
    } catch (error) {
      client.close();
      throw new QemuHarnessError('ERR_QEMU_QMP_CONNECT', `QMP ${path}: no greeting or capabilities answer within ${connectTimeoutMs} ms`, {
        cause: error,
      });
    }
    return client;
  }

  /** The greeting QEMU sent on connect. */
  get greeting(): QmpGreeting {
    if (this.greetingValue === undefined) throw new QemuHarnessError('ERR_QEMU_QMP_PROTOCOL', `QMP ${this.path}: no greeting yet`);
    return this.greetingValue;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /**
   * Run a command and return its `return` value. Throws QmpCommandError with
   * QEMU's `desc` on an error answer, QmpTimeoutError when no answer comes in
   * time, and ERR_QEMU_QMP_CLOSED when the connection is gone.
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options: QmpExecuteOptions = {}): Promise<T> {
    const id = this.nextId++;
    return this.waitFor<T>(command, options.timeoutMs ?? this.commandTimeoutMs, (resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject });
      const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(message)}\n`);
      // After a timeout the id is forgotten, so a late answer is dropped.
      return () => this.pending.delete(id);
    });
  }

  /**
   * The first event named `name` (and matching `filter`) that arrives after
   * the call; with `includePast`, also one already in `events`.
   */
  waitForEvent(
    name: string,
    options: { timeoutMs?: number; filter?: (event: QmpEvent) => boolean; includePast?: boolean } = {},
  ): Promise<QmpEvent> {
    const matches = (event: QmpEvent): boolean => event.event === name && (options.filter?.(event) ?? true);
    const past = options.includePast ? this.events.find(matches) : undefined;
    if (past) return Promise.resolve(past);
    return this.waitFor<QmpEvent>(`event ${name}`, options.timeoutMs ?? this.commandTimeoutMs, (resolve) => {
      const waiter = (event: QmpEvent): void => {
        if (matches(event)) resolve(event);
      };
      this.eventWaiters.add(waiter);
      return () => this.eventWaiters.delete(waiter);
    });
  }

  /** Close the connection; pending commands fail with ERR_QEMU_QMP_CLOSED. */
  close(): void {
    this.fail(new QemuHarnessError('ERR_QEMU_QMP_CLOSED', `QMP ${this.path}: closed by the client`));
    this.socket.destroy();
  }

  /**
   * The one place a wait is bounded: settles with what `subscribe` delivers,
   * a QmpTimeoutError after `timeoutMs`, or the close error, whichever is
   * first, and always unsubscribes.
   */
  private waitFor<T>(
    label: string,
    timeoutMs: number,
    subscribe: (resolve: (value: T) => void, reject: (error: Error) => void) => () => unknown,
  ): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let unsubscribe: () => unknown = () => undefined;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.closeWaiters.delete(onClose);
        unsubscribe();
        fn();
      };
      const onClose = (error: QemuHarnessError): void => settle(() => reject(error));
      const timer = setTimeout(() => settle(() => reject(new QmpTimeoutError(label, timeoutMs))), timeoutMs);
      this.closeWaiters.add(onClose);
      unsubscribe = subscribe(
        (value) => settle(() => resolve(value)),
        (error) => settle(() => reject(error)),
      );
      if (settled) unsubscribe();
    });
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line === '') continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        return this.protocolError(`not JSON: ${line.slice(0, 200)}`);
      }
      this.onMessage(message);
    }
  }

  private onMessage(message: unknown): void {
    if (typeof message !== 'object' || message === null) return this.protocolError(`not an object: ${JSON.stringify(message)}`);
    const m = message as Record<string, unknown>;
    if ('QMP' in m) {
      this.greetingValue = m as unknown as QmpGreeting;
      this.greetingWaiter?.(this.greetingValue);
      return;
    }
    if (typeof m.event === 'string') {
      const event = m as unknown as QmpEvent;
      this.events.push(event);
      for (const waiter of [...this.eventWaiters]) waiter(event);
      return;
    }
    if (!('return' in m) && !('error' in m)) return this.protocolError(`neither return, error nor event: ${JSON.stringify(m)}`);
    // QEMU echoes our id; an answer without one (e.g. to unparsable input) goes to the oldest command.
    const id = typeof m.id === 'number' ? m.id : this.pending.keys().next().value;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending) return; // the answer to a command that already timed out
    if ('error' in m) {
      const error = (m.error ?? {}) as { class?: unknown; desc?: unknown };
      pending.reject(new QmpCommandError(pending.command, String(error.class ?? 'GenericError'), String(error.desc ?? '')));
    } else {
      pending.resolve(m.return);
    }
  }

  private protocolError(detail: string): void {
    this.fail(new QemuHarnessError('ERR_QEMU_QMP_PROTOCOL', `QMP ${this.path}: ${detail}`));
    this.socket.destroy();
  }

  private fail(error: QemuHarnessError): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const waiter of [...this.closeWaiters]) waiter(error);
  }
}

async function connectWithRetry(path: string, deadline: number, options: QmpConnectOptions): Promise<net.Socket> {
  const retryIntervalMs = options.retryIntervalMs ?? 20;
  let lastError: unknown;
  for (;;) {
    if (options.signal?.aborted) {
      throw new QemuHarnessError('ERR_QEMU_QMP_CONNECT', `QMP ${path}: gave up connecting: ${String(options.signal.reason)}`, {
        cause: options.signal.reason,
      });
    }
    try {
      return await connectOnce(path);
    } catch (error) {
      lastError = error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined || !RETRYABLE.has(code)) {
        throw new QemuHarnessError('ERR_QEMU_QMP_CONNECT', `QMP ${path}: ${(error as Error).message}`, { cause: error });
      }
    }
    if (Date.now() + retryIntervalMs > deadline) break;
    await sleep(retryIntervalMs);
  }
  throw new QemuHarnessError('ERR_QEMU_QMP_CONNECT', `QMP ${path}: no socket to connect to before the timeout`, { cause: lastError });
}

function connectOnce(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

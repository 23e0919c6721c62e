/**
 * Decoding streams with the transport's channel workers (WorkerDecoder, one
 * worker per channel), timed without the workers' start. compare decodes
 * captured migrations and every row's files with it.
 *
 * Like the transport's decodeWithWorkers, plus the CPU time of the decode
 * alone (the workers' start excluded).
 */
import { MultifdError, type AssembleOptions, type AssembleReport, type MemorySink, type StreamInput } from '@multifd/core';
import { WorkerDecoder } from '@multifd/transport';
import { timed, type Window } from './timing.js';

export interface DecodeStreamsOptions {
  codecModules: readonly string[];
  codecOptions?: Record<string, unknown>;
  /** Decode into this sink (default: fresh shared memory). */
  sink?: MemorySink;
  assemble?: Omit<AssembleOptions, 'main' | 'channels' | 'registry' | 'sink' | 'applier' | 'signal'>;
  signal?: AbortSignal;
}

export interface DecodedStreams {
  report: AssembleReport;
  sink: WorkerDecoder['sink'];
  /** The decode itself (the workers' start excluded). */
  timed: Window;
}

export async function decodeStreams(inputs: { main?: StreamInput; channels: readonly StreamInput[] }, o: DecodeStreamsOptions): Promise<DecodedStreams> {
  let failure: MultifdError | undefined;
  const abort = new AbortController();
  const decoder = await WorkerDecoder.start({
    channels: Math.max(1, inputs.channels.length),
    codecModules: o.codecModules,
    ...(o.codecOptions ? { codecOptions: o.codecOptions } : {}),
    ...(o.sink ? { sink: o.sink } : {}),
    onFailure: (e) => {
      failure ??= e;
      abort.abort(e);
    },
  });
  const signal = o.signal ? AbortSignal.any([abort.signal, o.signal]) : abort.signal;
  try {
    const { value: report, timed: window } = await timed(() => decoder.decode(inputs, { ...o.assemble, signal }));
    if (failure) throw failure;
    await decoder.close();
    return { report, sink: decoder.sink, timed: window };
  } catch (e) {
    const error = o.signal?.aborted ? o.signal.reason : (failure ?? e);
    await decoder.terminate();
    throw error;
  }
}

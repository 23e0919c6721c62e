/**
 * @multifd/cli as a library: `main(argv, io)` runs a command line and
 * returns its exit code; the command table and the pieces commands share
 * are exported for embedding and tests.
 */
export { main, version } from './main.js';
export { COMMANDS, findCommand } from './commands/index.js';
export { decodeCommand, INDEX_FILE } from './commands/decode.js';
export { defineCommand, type Command, type OptionSpec, type OptionTable, type ParsedArgs } from './command.js';
export { processIo, type CliIo, type OutputStream } from './io.js';
export { errorLine, exitCodeFor, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED } from './report-error.js';
export { buildIndex, summaryLine, type DecodeIndex } from './decode-index.js';
export { DiscardSink } from './discard-sink.js';
export { openMigrationFiles, type MigrationFiles, type StreamFile } from './stream-files.js';
export { createRegistry } from './codecs.js';
export { compareCommand, parseCompareOptions } from './commands/compare.js';
export { makeSample, writeSample, DEFAULT_SAMPLE_SIZE, SAMPLE_BLOCK, SAMPLE_SEED } from './compare/sample.js';
export { parseLevels, planRows, type RowSpec, type PlanOptions } from './compare/plan.js';
export { loadCompareCodecs, type CompareCodecs } from './compare/plugins.js';
export { runRow, type RowMeasurement, type RunRowOptions } from './compare/run-row.js';
export { CSV_HEADER, LINKS_GBPS, formatCsv, formatJson, formatMarkdown, formatTable, projectedSeconds, withProjections, type CompareResult, type CompareRow } from './compare/report.js';
export { chartSpec, placeLabels, renderSvg } from './compare/chart.js';

/** The suite against codecs that are right: every test must pass. */
import { describe, expect, it } from 'vitest';
import { codecConformance, qemuCaptureConformance } from '../src/index.js';
import { rawCodec, rotCodec } from './codecs.js';

codecConformance(rotCodec, { describe, it, expect });

const fixtures = new URL('../../../fixtures/', import.meta.url);
qemuCaptureConformance(rawCodec, { describe, it, expect }, { capture: new URL('qemu-7.2/nocomp-1ch/', fixtures), blob: new URL('qemu-7.2/blobs/dev-1.bin', fixtures) });

import { describe, expect, it } from 'vitest';
import { codecConformance } from '@multifd/test-suite';
import { lz4, register } from 'multifd-codec-lz4';

codecConformance(lz4, { describe, it, expect }, { register });

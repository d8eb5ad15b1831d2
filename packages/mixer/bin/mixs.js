#!/usr/bin/env node
// `mixs`: runs the built program (src/main.ts).
import { launch } from '@weft/base/launch';

await launch('mixs', new URL('../dist/main.js', import.meta.url));

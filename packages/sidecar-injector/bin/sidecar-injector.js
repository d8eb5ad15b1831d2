#!/usr/bin/env node
// `sidecar-injector`: runs the built program (src/main.ts).
import { launch } from '@weft/base/launch';

await launch('sidecar-injector', new URL('../dist/main.js', import.meta.url));

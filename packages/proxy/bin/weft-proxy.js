#!/usr/bin/env node
// `weft-proxy`: runs the built program (src/main.ts).
import { launch } from '@weft/base/launch';

await launch('weft-proxy', new URL('../dist/main.js', import.meta.url));

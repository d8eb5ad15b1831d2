#!/usr/bin/env node
// `galley`: runs the built program (src/main.ts).
import { launch } from '@weft/base/launch';

await launch('galley', new URL('../dist/main.js', import.meta.url));

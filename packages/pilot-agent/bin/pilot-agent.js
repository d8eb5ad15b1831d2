#!/usr/bin/env node
// `pilot-agent`: runs the built program (src/main.ts).
import { launch } from '@weft/base/launch';

await launch('pilot-agent', new URL('../dist/main.js', import.meta.url));

#!/usr/bin/env node
// `pilot-discovery`: runs the built program (src/main.ts).
import { launch } from '@weft/base/launch';

await launch('pilot-discovery', new URL('../dist/main.js', import.meta.url));

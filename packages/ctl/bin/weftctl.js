#!/usr/bin/env node
// `weftctl`: runs the built program (src/main.ts).
import { launch } from '@weft/base/launch';

await launch('weftctl', new URL('../dist/main.js', import.meta.url));

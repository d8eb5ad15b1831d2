#!/usr/bin/env node
// `citadel`: runs the built program (src/main.ts).
import { launch } from '@weft/base/launch';

await launch('citadel', new URL('../dist/main.js', import.meta.url));

// Public API of @weft/pilot-agent: named exports only.
export { AgentErrors } from './errors.js';

// Public API of the MCP (Mesh Configuration Protocol) wire names.
export { MCP_RESOURCE_SOURCE_SERVICE, MCP_RESOURCE_SINK_SERVICE, MCP_AGGREGATED_SERVICE, McpMessage } from './names.js';

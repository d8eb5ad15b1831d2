// @weft/xds's error catalog; every code is listed in docs/reference/errors.md.
import { defineErrors } from '@weft/base';

export const XdsErrors = defineErrors({
  /** A snapshot whose RDS/EDS names do not match what its listeners and clusters reference. */
  INCONSISTENT_SNAPSHOT: { code: 'WEFT_XDS_INCONSISTENT_SNAPSHOT', message: 'snapshot %s is not consistent: %s' },
  /** Two resources of one type share a name inside a snapshot or a setResources call. */
  DUPLICATE_RESOURCE: { code: 'WEFT_XDS_DUPLICATE_RESOURCE', message: 'duplicate %s resource "%s"' },
  /** A resource was put where another type is expected (snapshot slot, linear cache). */
  TYPE_MISMATCH: { code: 'WEFT_XDS_TYPE_MISMATCH', message: 'resource "%s" has type %s, expected %s' },
  /** A resource object has no name (`name`, or `cluster_name` for ClusterLoadAssignment). */
  RESOURCE_NAME_MISSING: { code: 'WEFT_XDS_RESOURCE_NAME_MISSING', message: '%s resource has no name' },
  /** A type URL that the proto registry does not know. */
  UNKNOWN_TYPE: { code: 'WEFT_XDS_UNKNOWN_TYPE', message: 'unknown resource type %s' },
  /** A snapshot or linear cache given an empty version string ("" means "nothing sent yet" on the wire). */
  EMPTY_VERSION: { code: 'WEFT_XDS_EMPTY_VERSION', message: 'version for %s must not be empty' },
  /** An ADS request without type_url; the server closes the stream with INVALID_ARGUMENT. */
  MISSING_TYPE_URL: { code: 'WEFT_XDS_MISSING_TYPE_URL', message: 'ADS request without type_url on stream %s' },
  /** A type URL that no cache behind a MuxCache serves; the watch stays open and never answers. */
  NO_CACHE_FOR_TYPE: { code: 'WEFT_XDS_NO_CACHE_FOR_TYPE', message: 'no cache serves type %s' },
  /** Client: a resource in a response could not be decoded; the response is NACKed with this message. */
  DECODE_FAILED: { code: 'WEFT_XDS_DECODE_FAILED', message: 'cannot decode %s resource: %s' },
  /** Client: the handler for a type rejected an update; the response is NACKed with this message. */
  UPDATE_REJECTED: { code: 'WEFT_XDS_UPDATE_REJECTED', message: '%s version %s rejected: %s' },
  /** Client: the ADS stream failed or ended; the client reconnects with backoff. */
  STREAM_FAILED: { code: 'WEFT_XDS_STREAM_FAILED', message: 'ADS stream to %s ended: %s' },
  /** Client: subscribe or start after close(). */
  CLIENT_CLOSED: { code: 'WEFT_XDS_CLIENT_CLOSED', message: 'ADS client is closed' },
});

import { describe, expect, it } from 'vitest';
import { loadProtoRegistry } from '../proto/registry.js';
import { CaMessage, ISTIO_CERTIFICATE_SERVICE } from './names.js';

const registry = loadProtoRegistry();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('IstioCertificateService', () => {
  // csr (1) "CSR"; subject_id (2) "id"; validity_duration (3) 3600 = varint 90 1c
  const REQUEST_HEX = '0a03 435352' + '1202 6964' + '18 901c';
  // cert_chain (1) repeated: leaf "a", root "b"
  const RESPONSE_HEX = '0a01 61' + '0a01 62';

  it('encodes a certificate request to the hand-written bytes', () => {
    const bytes = registry.encode(CaMessage.IstioCertificateRequest, { csr: 'CSR', subject_id: 'id', validity_duration: 3600 });
    expect(hex(bytes)).toBe(REQUEST_HEX.replace(/\s+/g, ''));
  });

  it('round-trips request and response', () => {
    expect(registry.decode(CaMessage.IstioCertificateRequest, fromHex(REQUEST_HEX))).toEqual({
      csr: 'CSR',
      subject_id: 'id',
      validity_duration: '3600',
    });
    expect(hex(registry.encode(CaMessage.IstioCertificateResponse, { cert_chain: ['a', 'b'] }))).toBe(RESPONSE_HEX.replace(/\s+/g, ''));
    expect(registry.decode(CaMessage.IstioCertificateResponse, fromHex(RESPONSE_HEX))).toEqual({ cert_chain: ['a', 'b'] });
  });

  it('is the unary /istio.v1.auth.IstioCertificateService/CreateCertificate', () => {
    const method = registry.service(ISTIO_CERTIFICATE_SERVICE).methods['CreateCertificate'];
    expect(method).toMatchObject({ requestType: 'IstioCertificateRequest', responseType: 'IstioCertificateResponse' });
    expect(method?.requestStream).toBeFalsy();
    expect(method?.responseStream).toBeFalsy();
  });
});

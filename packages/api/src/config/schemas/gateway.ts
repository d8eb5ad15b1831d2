// Field schemas for Gateway.
import type { Gateway, Server, ServerTLSSettings } from '../types/gateway.js';
import { bool, enm, list, type MessageSchema, msg, str, strList, strMap } from '../validate/schema.js';
import { PortSchema } from './port.js';

const TLS_PROTOCOL = enm('TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3');

const ServerTLSSchema: MessageSchema<ServerTLSSettings> = {
  name: 'ServerTLSSettings',
  fields: {
    httpsRedirect: bool,
    mode: enm('PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL'),
    serverCertificate: str,
    privateKey: str,
    caCertificates: str,
    credentialName: str,
    subjectAltNames: strList,
    verifyCertificateSpki: strList,
    verifyCertificateHash: strList,
    minProtocolVersion: TLS_PROTOCOL,
    maxProtocolVersion: TLS_PROTOCOL,
    cipherSuites: strList,
  },
};

const ServerSchema: MessageSchema<Server> = {
  name: 'Server',
  fields: {
    port: msg(() => PortSchema),
    bind: str,
    hosts: strList,
    tls: msg(() => ServerTLSSchema),
    defaultEndpoint: str,
    name: str,
  },
};

export const GatewaySchema: MessageSchema<Gateway> = {
  name: 'Gateway',
  fields: { servers: list(msg(() => ServerSchema)), selector: strMap },
};

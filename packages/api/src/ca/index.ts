// Public API of the Citadel CSR API wire names.
export { ISTIO_CERTIFICATE_SERVICE, CaMessage } from './names.js';

import { describe, expect, it } from 'vitest';
import { mergeValidationContexts } from './dynamic-tls.js';

describe('mergeValidationContexts', () => {
  it("keeps Istio's default SAN matchers and takes the CA from the SDS secret", () => {
    const san = { match_pattern: 'exact', exact: 'spiffe://cluster.local/ns/default/sa/reviews', ignore_case: false };
    const merged = mergeValidationContexts({ match_subject_alt_names: [san as never] }, { trusted_ca: { inline_string: 'CA' }, match_subject_alt_names: [] });
    expect(merged).toEqual({ match_subject_alt_names: [san], trusted_ca: { inline_string: 'CA' } });
  });

  it('concatenates repeated fields and lets set singular fields of the secret win', () => {
    const merged = mergeValidationContexts(
      { verify_certificate_hash: ['aa'], trusted_ca: { inline_string: 'old' }, trust_chain_verification: 'ACCEPT_UNTRUSTED' },
      { verify_certificate_hash: ['bb'], trusted_ca: { inline_string: 'new' }, crl: null },
    );
    expect(merged).toEqual({ verify_certificate_hash: ['aa', 'bb'], trusted_ca: { inline_string: 'new' }, trust_chain_verification: 'ACCEPT_UNTRUSTED' });
  });
});

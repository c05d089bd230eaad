import { KestrelError } from '../../core/errors.ts';
import type { LighterApiKey } from './config.ts';
import { privateKeyFromBytes, publicKeyOf } from './crypto/schnorr.ts';
import type { LighterRestClient } from './rest-client.ts';

/** The public key of a 40-byte private key (0x-hex), as the venue registers it: 80 hex digits */
function publicKeyHexOf(key: LighterApiKey): string {
  const bytes = Buffer.from(key.privateKey.reveal().trim().replace(/^0x/i, ''), 'hex');
  return publicKeyOf(privateKeyFromBytes(bytes)).toString('hex');
}

/**
 * Checks each configured API key against the public key the venue registered for its index
 * (`GET /api/v1/apikeys`), before anything is signed: a key the account does not have, or a
 * private key that is not the registered key's, would have every transaction refused (21120).
 * @throws KestrelError INVALID_CONFIG naming the API key index (never the private key);
 *   whatever the request throws when the venue cannot be asked
 */
export async function checkRegisteredKeys(
  rest: LighterRestClient,
  accountIndex: number,
  keys: readonly LighterApiKey[],
): Promise<void> {
  const registered = new Map(
    (await rest.apiKeys(accountIndex)).map((key) => [
      key.apiKeyIndex,
      key.publicKey.trim().replace(/^0x/i, '').toLowerCase(),
    ]),
  );
  for (const key of keys) {
    const publicKey = registered.get(key.apiKeyIndex);
    if (publicKey === undefined || /^0*$/.test(publicKey)) {
      throw new KestrelError(
        'INVALID_CONFIG',
        `lighter: account ${accountIndex} has no API key ${key.apiKeyIndex} registered`,
        { field: 'apiKeyIndex', value: key.apiKeyIndex },
      );
    }
    if (publicKey !== publicKeyHexOf(key)) {
      throw new KestrelError(
        'INVALID_CONFIG',
        `lighter: the private key given for API key ${key.apiKeyIndex} is not the one account ${accountIndex} registered for it (its public key is 0x${publicKey})`,
        { field: 'privateKey', value: key.apiKeyIndex },
      );
    }
  }
}

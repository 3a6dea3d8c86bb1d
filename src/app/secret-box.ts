/**
 * Secrets at rest: AES-256-GCM with a key from TIMEBRIDGE_SECRET_KEY. A sealed value is
 * `tb1:<key id>:<iv>:<tag>:<ciphertext>` (base64url parts); the key id is the first bytes
 * of the key's SHA-256, so a value sealed with another key is refused by name instead
 * of failing authentication somewhere deep in a run. Secrets are sealed as one JSON
 * object per connection.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { TimebridgeError } from '../core/errors.js';
import type { Json } from '../core/model.js';

const PREFIX = 'tb1';
const KEY_HINT = 'set TIMEBRIDGE_SECRET_KEY to 32 random bytes as 64 hex digits or base64 (make one with `timebridge secrets new-key`)';

export interface SecretBox {
  /** Short id of the key (safe to log). */
  keyId: string;
  seal(value: Json): string;
  open(sealed: string): Json;
  /** Whether this box's key sealed the value. */
  sealedByMe(sealed: string): boolean;
}

/** 32 bytes from 64 hex digits or base64/base64url text. */
export function parseSecretKey(text: string, variable = 'TIMEBRIDGE_SECRET_KEY'): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) {
    throw new TimebridgeError('CONFIG_INVALID', `${variable} must be a 256-bit key, but it decodes to ${key.length} bytes.`, { hint: KEY_HINT });
  }
  return key;
}

export function newSecretKey(): string {
  return randomBytes(32).toString('base64');
}

const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('base64url').slice(0, 8);

export function secretBox(key: Buffer): SecretBox {
  const keyId = keyIdOf(key);
  return {
    keyId,
    seal(value) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return [PREFIX, keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join(':');
    },
    open(sealed) {
      const parts = sealed.split(':');
      if (parts.length !== 5 || parts[0] !== PREFIX) {
        throw new TimebridgeError('SECRET_UNREADABLE', 'A stored secret is not in the tb1 format; it may have been edited by hand.', {
          hint: "set the connection's secrets again through the API",
        });
      }
      if (parts[1] !== keyId) {
        throw new TimebridgeError('SECRET_KEY_MISMATCH', `A stored secret was sealed with key ${parts[1]}, but TIMEBRIDGE_SECRET_KEY is key ${keyId}.`, {
          hint: 'start with the key the secrets were sealed with, or rotate them with `timebridge secrets rotate` while both keys are at hand',
        });
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[2]!, 'base64url'));
        decipher.setAuthTag(Buffer.from(parts[3]!, 'base64url'));
        const text = Buffer.concat([decipher.update(Buffer.from(parts[4]!, 'base64url')), decipher.final()]).toString('utf8');
        return JSON.parse(text) as Json;
      } catch (err) {
        throw new TimebridgeError('SECRET_UNREADABLE', 'A stored secret failed authentication: it was altered or is damaged.', {
          hint: "set the connection's secrets again through the API",
          cause: err,
        });
      }
    },
    sealedByMe(sealed) {
      return sealed.split(':')[1] === keyId;
    },
  };
}

/** The box for TIMEBRIDGE_SECRET_KEY, or null when it is not set. */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv, variable = 'TIMEBRIDGE_SECRET_KEY'): SecretBox | null {
  const text = env[variable];
  return text ? secretBox(parseSecretKey(text, variable)) : null;
}

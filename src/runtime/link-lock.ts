/** In-process mutex per link: two runs of the same link never overlap in one process. */
import { TimebridgeError } from '../core/errors.js';

const held = new Set<string>();

export async function withLinkLock<T>(linkId: string, fn: () => Promise<T>): Promise<T> {
  if (held.has(linkId)) {
    throw new TimebridgeError('LINK_LOCKED', `link ${linkId} is already running in this process`, {
      hint: 'wait for the running sync to finish and try again',
    });
  }
  held.add(linkId);
  try {
    return await fn();
  } finally {
    held.delete(linkId);
  }
}

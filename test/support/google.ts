/**
 * A `google-calendar` connection to the in-repo Google emulator, as config lines: the
 * demo user's refresh token and the emulator's OAuth client, under a `  <name>:` line.
 */
import { DEMO_REFRESH_TOKEN } from '../../src/emulators/google/index.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulators/google/oauth.js';

export function googleEmulatorConnection(baseUrl: string): string[] {
  return [
    '    type: google-calendar',
    `    baseUrl: ${baseUrl}/calendar/v3`,
    `    tokenUrl: ${baseUrl}/token`,
    `    auth: { type: oauth, clientId: ${EMULATOR_CLIENT_ID}, clientSecret: ${EMULATOR_CLIENT_SECRET}, refreshToken: "${DEMO_REFRESH_TOKEN}" }`,
  ];
}

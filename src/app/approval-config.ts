/**
 * `attendance.approvals` in timebridge.yaml (issue 20, part 3): how an approved reservation
 * gets its approval form (a Byroapi-compatible form service, or the built-in PDF) and the
 * e-mail that carries it. The SMTP password is a secret: `passwordEnv` names the variable
 * that holds it (or `password` in the file, as other secrets).
 */
import { z } from 'zod';
import { fromEnv, secret } from '../connectors/kit/settings-marks.js';

const addressee = z.union([z.string().min(3), z.array(z.string().min(3)), z.record(z.string(), z.string())]);

export const approvalsSchema = z
  .object({
    /** Which approvals issue a form and an e-mail: `calendar` (manual events, moffman's only case), `api` (POST /api/v1/reservations approving). */
    on: z.array(z.enum(['calendar', 'api'])).default(['calendar']),
    form: z.union([
      z
        .object({
          /** Full URL of the form service's POST /api/v1/form. */
          url: z.string().url(),
          template: z.string().min(1),
          /** moffman's `date_format` (tokens YYYY, MM, DD). */
          dateFormat: z.string().min(1).default('DD.MM.YYYY'),
        })
        .strict(),
      z.object({ builtin: z.literal(true), dateFormat: z.string().min(1).default('DD.MM.YYYY') }).strict(),
    ]),
    mail: z
      .object({
        smtp: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535).default(587),
            /** TLS from the start (port 465); false: STARTTLS when the server offers it. */
            secure: z.boolean().default(false),
            auth: z
              .object({ user: z.string().min(1), password: secret(z.string().min(1)).optional(), passwordEnv: fromEnv('password', 'SMTP_PASSWORD').optional() })
              .strict()
              .refine((a) => a.password !== undefined || a.passwordEnv !== undefined, 'give password or passwordEnv')
              .optional(),
          })
          .strict(),
        from: addressee,
        to: addressee,
        cc: addressee.optional(),
        /** Add the reservation's creator (the manual event's creator, else the person) to cc (moffman's `cc_to_creator`). */
        ccCreator: z.boolean().default(true),
        subject: z.string().min(1).default('Office attendance - {user_name} ({date_from} - {date_to})'),
        body: z.string().min(1).default('The approval form of {user_name}: {date_from} - {date_to}.'),
        /** Attachment name; `.` and `/` in the stem become `-` as in moffman. */
        attachment: z.string().min(1).default('approval_{user_name}_{date_from}.pdf'),
      })
      .strict(),
  })
  .strict();
export type ApprovalsConfig = z.infer<typeof approvalsSchema>;

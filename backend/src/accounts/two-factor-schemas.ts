import { z } from '../lib/zod';

import { PASSWORD_MAX } from './passwords';
import { RECOVERY_CODE_COUNT } from './two-factor';

const Password = z.string().min(1).max(PASSWORD_MAX);

/** A code from an authenticator app: six digits, spaces allowed (`123 456`, as apps show it). */
export const TotpCode = z
  .string()
  .max(20)
  .transform((code) => code.replace(/\s/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'must be the 6-digit code your authenticator app shows'))
  .openapi({ example: '123456' });

/** A recovery code as printed (`k3m9-7qxa-…`); case, spaces and dashes do not matter. */
export const RecoveryCodeInput = z
  .string()
  .max(40)
  .regex(/^[A-Za-z0-9 -]+$/, 'must be one of your recovery codes, like k3m9-7qxa-2b8d-c4fz')
  .openapi({ example: 'k3m9-7qxa-2b8d-c4fz' });

/** Either a code from the app or a recovery code, never both. */
const secondFactor = { code: TotpCode.optional(), recoveryCode: RecoveryCodeInput.optional() };
const oneFactor = <T extends { code?: string | undefined; recoveryCode?: string | undefined }>(body: T) =>
  (body.code === undefined) !== (body.recoveryCode === undefined);
const ONE_FACTOR = { message: 'send either a code from your app or a recovery code', path: ['code'] };

/** The factor a checked body carries, as the service takes it. */
export const factorOf = (body: { code?: string | undefined; recoveryCode?: string | undefined }) =>
  body.code !== undefined ? { code: body.code } : { recoveryCode: body.recoveryCode ?? '' };

export const LoginTwoFactorBody = z
  .strictObject({
    challenge: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, 'is not a sign-in in progress; log in with your password again')
      .openapi({ description: 'The `challenge` the password step answered with' }),
    ...secondFactor,
  })
  .refine(oneFactor, ONE_FACTOR)
  .openapi('LoginTwoFactor');

export const TwoFactorChallenge = z
  .object({
    status: z.literal('two_factor_required'),
    challenge: z.string().openapi({ description: 'Send it with a code to POST /auth/login/two-factor' }),
    expiresAt: z.string().openapi({ description: 'The second step must be done by then (5 minutes)' }),
  })
  .openapi('TwoFactorChallenge');

export const TwoFactorStatusResponse = z
  .object({
    enabled: z.boolean(),
    enabledAt: z.string().nullable(),
    recoveryCodesLeft: z.number().int().min(0).max(RECOVERY_CODE_COUNT),
  })
  .openapi('TwoFactorStatus');

export const TwoFactorSetupBody = z.strictObject({ password: Password }).openapi('TwoFactorSetup');

export const TwoFactorSetupResponse = z
  .object({
    secret: z.string().openapi({ description: 'The base32 secret, for typing into an app that cannot scan' }),
    uri: z.string().openapi({ description: 'The otpauth:// URI the QR code holds' }),
    qrCode: z.string().openapi({ description: 'The URI as an SVG QR code in a data: URL' }),
    expiresAt: z.string().openapi({ description: 'Confirm with a first code before then (15 minutes)' }),
  })
  .openapi('TwoFactorSetupStarted');

export const TwoFactorConfirmBody = z.strictObject({ code: TotpCode }).openapi('TwoFactorConfirm');

export const RecoveryCodesResponse = z
  .object({
    recoveryCodes: z
      .array(z.string())
      .length(RECOVERY_CODE_COUNT)
      .openapi({ description: 'Shown this once; each works once. Only their hashes are stored' }),
  })
  .openapi('RecoveryCodes');

export const TwoFactorDisableBody = z
  .strictObject({ password: Password, ...secondFactor })
  .refine(oneFactor, ONE_FACTOR)
  .openapi('TwoFactorDisable');

export const RegenerateRecoveryCodesBody = z.strictObject({ code: TotpCode }).openapi('RegenerateRecoveryCodes');

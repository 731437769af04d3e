import { z } from '../lib/zod';

import { email, text } from '../lib/validate';
import { NewPassword, PASSWORD_MAX } from './passwords';
import { LinkToken } from './tokens';

// Login checks any string up to the maximum: rules may have changed since the password was set.
const PresentedPassword = z.string().min(1).max(PASSWORD_MAX);

export const SignupBody = z
  .strictObject({ email: email(), password: NewPassword, name: text(100, 0).default('') })
  .openapi('Signup');

export const LoginBody = z.strictObject({ email: email(), password: PresentedPassword }).openapi('Login');

export const UpdateProfileBody = z
  .strictObject({
    name: text(100, 0).optional(),
    email: email().optional(),
    currentPassword: PresentedPassword.optional().openapi({ description: 'Required when the email changes' }),
  })
  .refine((b) => b.name !== undefined || b.email !== undefined, 'nothing to update')
  .refine((b) => b.email === undefined || b.currentPassword !== undefined, {
    message: 'is required to change the email',
    path: ['currentPassword'],
  })
  .openapi('UpdateProfile');

export const ChangePasswordBody = z
  .strictObject({ currentPassword: PresentedPassword, newPassword: NewPassword })
  .openapi('ChangePassword');

export const DeleteAccountBody = z.strictObject({ password: PresentedPassword }).openapi('DeleteAccount');

/**
 * Signup's one answer, whether the address was free or already registered: answering
 * otherwise would tell anyone which addresses have accounts.
 */
export const SignupAccepted = z
  .object({ status: z.literal('accepted'), message: z.string() })
  .openapi('SignupAccepted');

export const ProfileResponse = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    emailVerified: z.boolean().openapi({ description: 'Whether the address was confirmed by a link sent to it' }),
    pendingEmail: z
      .string()
      .nullable()
      .openapi({ description: 'A new address waiting for its confirmation link; `email` applies until then' }),
    twoFactorEnabled: z.boolean().openapi({ description: 'Whether signing in asks for a code after the password' }),
    createdAt: z.string(),
  })
  .openapi('Profile');

export const PasswordResetRequestBody = z.strictObject({ email: email() }).openapi('PasswordResetRequest');

export const PasswordResetBody = z.strictObject({ token: LinkToken, password: NewPassword }).openapi('PasswordReset');

export const VerifyEmailBody = z.strictObject({ token: LinkToken }).openapi('VerifyEmail');

export const EmailVerified = z.object({ email: z.string(), emailVerified: z.literal(true) }).openapi('EmailVerified');

/** An answer that says the same whatever the address: the request was taken, mail may follow. */
export const Accepted = z.object({ status: z.literal('accepted'), message: z.string() }).openapi('Accepted');

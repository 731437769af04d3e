import type { OutgoingMail } from '../mail/mailer';
import { renderMessage } from '../mail/template';

/** Notices about the account's second factor: each change is told to the account's address. */

const greeting = (name: string) => (name ? `Hello ${name},` : 'Hello,');
const securityLink = (appUrl: string) => ({ label: 'Review your account', url: `${appUrl}/#/account` });

export function twoFactorEnabledMail(appUrl: string, to: string, { name }: { name: string }): OutgoingMail {
  return {
    to,
    kind: 'two-factor-enabled',
    ...renderMessage({
      subject: 'Two-factor sign-in is on for your Clickpath account',
      greeting: greeting(name),
      intro: [
        'Signing in to your Clickpath account now asks for a code from your authenticator app after the password. Every other session was logged out.',
      ],
      action: securityLink(appUrl),
      outro: [
        'Keep your recovery codes somewhere safe: each signs you in once if you lose your phone.',
        'If this was not you, reset your password from the login page at once and contact the operator of this Clickpath instance.',
      ],
    }),
  };
}

export function twoFactorDisabledMail(appUrl: string, to: string, { name }: { name: string }): OutgoingMail {
  return {
    to,
    kind: 'two-factor-disabled',
    ...renderMessage({
      subject: 'Two-factor sign-in was turned off for your Clickpath account',
      greeting: greeting(name),
      intro: [
        'Signing in to your Clickpath account no longer asks for a code: it was turned off with your password and a code. Your recovery codes no longer work.',
      ],
      action: securityLink(appUrl),
      outro: ['If this was not you, change your password and turn two-factor sign-in back on at once.'],
    }),
  };
}

export function recoveryCodeUsedMail(
  appUrl: string,
  to: string,
  { name, left }: { name: string; left: number },
): OutgoingMail {
  return {
    to,
    kind: 'recovery-code-used',
    ...renderMessage({
      subject: 'A recovery code was used to sign in to Clickpath',
      greeting: greeting(name),
      intro: [
        `Someone signed in to your Clickpath account with your password and one of your recovery codes. That code no longer works; ${left} ${left === 1 ? 'is' : 'are'} left.`,
      ],
      action: securityLink(appUrl),
      outro: [
        'If you lost your phone, set up two-factor sign-in again on a new one and make new recovery codes.',
        'If this was not you, change your password at once: your password and a recovery code are known to someone else.',
      ],
    }),
  };
}

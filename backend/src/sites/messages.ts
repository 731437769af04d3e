import type { OutgoingMail } from '../mail/mailer';
import { renderMessage } from '../mail/template';

/** The link an invitation mail carries; the token rides in the hash, never in a server log. */
export const invitationLink = (appUrl: string, token: string) => `${appUrl}/#/invitation?token=${token}`;

export function invitationMail(
  appUrl: string,
  to: string,
  invitation: {
    token: string;
    site: { name: string; domain: string };
    role: 'admin' | 'viewer';
    inviter: { name: string; email: string } | null;
    expiresAt: Date;
  },
): OutgoingMail {
  const who = invitation.inviter ? invitation.inviter.name || invitation.inviter.email : 'Someone';
  const what =
    invitation.role === 'admin' ? 'read its statistics and manage its settings and keys' : 'read its statistics';
  return {
    to,
    kind: 'invitation',
    ...renderMessage({
      subject: `${who} invited you to ${invitation.site.name} on Clickpath`,
      greeting: 'Hello,',
      intro: [
        `${who} invited you to the site ${invitation.site.name} (${invitation.site.domain}) on Clickpath as ${invitation.role}: you would ${what}.`,
        'The link lets you join with the account you have, or create one with this address.',
      ],
      action: { label: 'See the invitation', url: invitationLink(appUrl, invitation.token) },
      outro: [
        `The invitation expires on ${invitation.expiresAt.toISOString().slice(0, 10)}. You can also decline it there.`,
        'If you do not know this person, ignore this message: nothing happens unless you accept.',
      ],
    }),
  };
}

export function ownershipMail(
  appUrl: string,
  to: string,
  { name, site, from }: { name: string; site: { id: string; name: string }; from: string },
): OutgoingMail {
  return {
    to,
    kind: 'ownership-transferred',
    ...renderMessage({
      subject: `You now own ${site.name} on Clickpath`,
      greeting: name ? `Hello ${name},` : 'Hello,',
      intro: [
        `${from} made you the owner of the site ${site.name} on Clickpath, and is now one of its admins. As its owner you invite and remove members, change their roles, and may delete the site.`,
      ],
      action: { label: 'Open the site settings', url: `${appUrl}/#/sites/${site.id}/settings` },
      outro: ['If you did not expect this, you can hand the site back from its settings.'],
    }),
  };
}

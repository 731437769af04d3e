import { requireSession } from '../access/auth';
import type { ApiRouter } from '../lib/http';
import type { Mailer } from './mailer';
import { listOutbox, requireOperator } from './outbox';
import { OutboxList } from './schemas';

export function registerMailRoutes(
  api: ApiRouter,
  { mailer, adminEmails }: { mailer: Mailer; adminEmails: readonly string[] },
): void {
  api.route(
    {
      method: 'get',
      path: '/admin/outbox',
      operationId: 'listOutbox',
      summary:
        'Mail this instance kept instead of sending (no SMTP_URL), newest first; for its operator (ADMIN_EMAILS, else the first account)',
      tag: 'Mail',
      auth: 'session',
      wordpress: 'backend-only',
      responses: { 200: { description: 'The outbox', schema: OutboxList } },
    },
    async ({ req, res }) => {
      await requireOperator(requireSession(req).accountId, adminEmails);
      res.json({ mode: mailer.mode, messages: await listOutbox() });
    },
  );
}

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The reset token from the newest mail to `email` in `outbox` (MAIL_OUTBOX_DIR), once it has been written. */
export async function resetTokenFor(outbox: string, email: string, after: number): Promise<string> {
  const start = Date.now();
  for (;;) {
    for (const name of readdirSync(outbox).sort().reverse()) {
      if (Number(name.split('-')[0]) < after) continue;
      const text = readFileSync(path.join(outbox, name), 'utf8').replace(/=\r?\n/g, ''); // quoted-printable soft breaks
      const token = /(fgp_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43})/.exec(text)?.[1];
      if (text.includes(`To: ${email}`) && token) return token;
    }
    if (Date.now() - start > 5000) throw new Error(`no reset mail for ${email}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

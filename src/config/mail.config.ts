import { registerAs } from '@nestjs/config';
import { Allow } from 'class-validator';
import { validateConfig, type Env } from './validate-config.js';

class MailEnvironmentVariables {
  @Allow()
  SMTP_URL?: string;

  @Allow()
  MAIL_FROM?: string;

  @Allow()
  MAIL_OUTBOX_DIR?: string;
}

/** Outgoing mail: SMTP when configured, else .eml files in an outbox folder. */
export const mailConfig = registerAs('mail', (env: Env = process.env) => {
  const vars = validateConfig(env, MailEnvironmentVariables);
  return {
    smtpUrl: vars.SMTP_URL,
    mailFrom: vars.MAIL_FROM ?? 'FraudGuard <no-reply@fraudguard.example>',
    mailOutboxDir: vars.MAIL_OUTBOX_DIR ?? 'outbox',
  };
});

import { Inject, Injectable, Logger } from '@nestjs/common';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import type { ConfigType } from '@nestjs/config';
import { mailConfig } from '../config/mail.config.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Outgoing mail: SMTP when SMTP_URL is set; otherwise each message is written as an .eml file to
 * MAIL_OUTBOX_DIR (and logged without its body), so development and tests can read what was sent.
 * Callers send after commit (CurrentTransaction.afterCommit): a mail failure never undoes a write.
 */
@Injectable()
export class MailService {
  private readonly logger = new Logger('Mail');
  private readonly transport: Transporter;

  constructor(@Inject(mailConfig.KEY) private readonly config: ConfigType<typeof mailConfig>) {
    this.transport = config.smtpUrl
      ? nodemailer.createTransport(config.smtpUrl)
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  async send(mail: Mail): Promise<void> {
    const info = await this.transport.sendMail({ from: this.config.mailFrom, ...mail });
    if (!this.config.smtpUrl) {
      mkdirSync(this.config.mailOutboxDir, { recursive: true });
      const file = path.join(this.config.mailOutboxDir, `${Date.now()}-${info.messageId.replace(/[^A-Za-z0-9.-]/g, '')}.eml`);
      writeFileSync(file, (info as unknown as { message: Buffer }).message);
      this.logger.log(`mail to ${mail.to} "${mail.subject}" written to ${file}`);
    }
  }
}

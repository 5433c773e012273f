import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import type { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config/database.config.js';
import { APP_DATABASE_URL } from './database.tokens.js';

type Handler = (payload: string) => void;

/**
 * One dedicated connection LISTENing on `fraudguard_auth`. While it is not connected, `live` is
 * false and callers must not trust their caches; it reconnects by itself with backoff.
 */
@Injectable()
export class AuthChangeListener implements OnModuleDestroy {
  private readonly logger = new Logger(AuthChangeListener.name);
  private client?: pg.Client;
  private handlers: Handler[] = [];
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  live = false;

  private readonly url: string;

  /** LISTEN needs a session of its own: through PgBouncer in transaction mode, use LISTEN_DATABASE_URL. */
  constructor(@Inject(APP_DATABASE_URL) appUrl: string, @Inject(databaseConfig.KEY) config: ConfigType<typeof databaseConfig>) {
    this.url = config.listenDatabaseUrl ?? appUrl;
  }

  onChange(handler: Handler): void {
    this.handlers.push(handler);
  }

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, application_name: 'fraudguard-listener' });
    client.on('notification', (message) => {
      for (const handler of this.handlers) handler(message.payload ?? '');
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query('LISTEN fraudguard_auth');
      this.client = client;
      this.live = true;
      for (const handler of this.handlers) handler('*'); // anything may have changed while we were away
    } catch (error) {
      this.logger.warn(`auth change listener could not connect: ${(error as Error).message}`);
      client.end().catch(() => undefined);
      this.scheduleRetry();
    }
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.live = false;
    for (const handler of this.handlers) handler('*');
    client.end().catch(() => undefined);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.start();
    }, 1000);
    this.retryTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.live = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

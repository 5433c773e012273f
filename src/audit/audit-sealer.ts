import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { databaseConfig } from '../config/database.config.js';
import { APP_DATABASE_URL } from '../database/database.tokens.js';
import { runSealPass, tryLeadSealing } from './audit-seal.js';
import { AuditSealRepository } from './audit-seal.repository.js';

/** How often a process that does not lead asks for the leader lock. */
const LEADER_POLL_MS = 1000;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

export interface AuditSealGauges {
  leader: boolean;
  sealedRowsTotal: number;
  /** Undefined when the database could not be asked. */
  unsealedRows?: number;
  lagSeconds?: number;
}

/**
 * Seals the audit chains from inside the API processes, one leader at a time. Each process holds a
 * dedicated session connection (not the pool: a session-level advisory lock must stay on one
 * server session, so through PgBouncer it uses LISTEN_DATABASE_URL, the direct URL) and asks for
 * the leader lock every second; the process that gets it runs a seal pass every
 * AUDIT_SEAL_INTERVAL_MS. A leader that dies or loses its connection loses the lock with its session,
 * and the next process to ask takes over. Two sealers at once would still be safe (each tenant's
 * head row serialises them); the lock only saves the duplicate work.
 */
@Injectable()
export class AuditSealer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuditSealer.name);
  private readonly url: string;
  private readonly wake = new AbortController();
  private stopped = false;
  private loop?: Promise<void>;
  private connection?: pg.Client;
  private leading = false;
  /** Until this process has waited for the lock or led once: its first lead is its start-up's. */
  private firstLead = true;
  private sealedRows = 0;

  constructor(
    @Inject(APP_DATABASE_URL) appUrl: string,
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
    private readonly seals: AuditSealRepository,
  ) {
    this.url = config.listenDatabaseUrl ?? appUrl;
  }

  onApplicationBootstrap(): void {
    if (this.config.auditSealer) this.loop = this.run();
  }

  /** Stops after the batch in flight; closing the session releases the leader lock. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.wake.abort();
    const loop = this.loop;
    if (!loop) return;
    const gaveUp = await Promise.race([loop.then(() => false), sleep(5000, true, { ref: false })]);
    if (gaveUp) await this.connection?.end().catch(() => undefined);
  }

  async gauges(): Promise<AuditSealGauges> {
    const gauges: AuditSealGauges = { leader: this.leading, sealedRowsTotal: this.sealedRows };
    try {
      Object.assign(gauges, await this.seals.backlog());
    } catch (error) {
      this.logger.warn(`audit sealing backlog unavailable: ${(error as Error).message}`);
    }
    return gauges;
  }

  private async run(): Promise<void> {
    let backoff = RECONNECT_MIN_MS;
    while (!this.stopped) {
      const client = new pg.Client({
        connectionString: this.url,
        application_name: 'fraudguard-audit-sealer',
        connectionTimeoutMillis: 5000,
        statement_timeout: this.config.dbStatementTimeoutMs,
      });
      // A connection that fails while idle emits 'error'; the next query then fails and we reconnect.
      client.on('error', () => undefined);
      this.connection = client;
      try {
        await client.connect();
        await this.lead(client, () => (backoff = RECONNECT_MIN_MS));
      } catch (error) {
        if (!this.stopped) this.logger.warn(`audit sealer: ${(error as Error).message}; reconnecting in ${backoff} ms`);
      } finally {
        if (this.leading) this.logger.log('stopped leading audit sealing');
        this.leading = false;
        this.connection = undefined;
        await client.end().catch(() => undefined);
      }
      if (this.stopped) break;
      await this.pause(backoff);
      backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
    }
  }

  /**
   * On one connection: wait for the leader lock, then seal every interval until stopped or a query
   * fails. The back-off resets only after a pass (or, while waiting, a lock request) succeeds, so a
   * pass that keeps failing reconnects ever more slowly.
   */
  private async lead(client: pg.Client, healthy: () => void): Promise<void> {
    while (!this.stopped) {
      if (!this.leading) {
        this.leading = await tryLeadSealing(client);
        if (!this.leading) {
          this.firstLead = false;
          healthy();
          await this.pause(LEADER_POLL_MS);
          continue;
        }
        // A takeover is news; a process leading from its start is not (and would print after the
        // start-up banner, main.ts).
        if (this.firstLead) this.logger.debug('leads audit sealing');
        else this.logger.log('leads audit sealing');
        this.firstLead = false;
      }
      await runSealPass(client, {
        batch: this.config.auditSealBatch,
        shouldStop: () => this.stopped,
        onSealed: (rows) => (this.sealedRows += rows),
      });
      healthy();
      await this.pause(this.config.auditSealIntervalMs);
    }
  }

  /** A sleep that shutdown cuts short. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.wake.signal, ref: false }).catch(() => undefined);
  }
}

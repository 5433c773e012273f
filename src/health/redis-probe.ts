import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { ConfigType } from '@nestjs/config';
import { rateLimitConfig } from '../config/rate-limit.config.js';

/**
 * Readiness of Redis when REDIS_URL is set (rate-limit counters shared by the instances live
 * there): a PING with a short deadline on a connection of its own, opened on first use.
 */
@Injectable()
export class RedisProbe implements OnApplicationShutdown {
  private client?: Redis;

  constructor(@Inject(rateLimitConfig.KEY) private readonly config: ConfigType<typeof rateLimitConfig>) {}

  get configured(): boolean {
    return !!this.config.redisUrl;
  }

  async ping(timeoutMs = 1000): Promise<void> {
    if (!this.config.redisUrl) return;
    this.client ??= new Redis(this.config.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: timeoutMs,
      retryStrategy: () => null, // no background reconnect loop: each readiness probe tries afresh
      connectionName: 'fraudguard-health',
    });
    const client = this.client;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          if (client.status !== 'ready') {
            if (client.status !== 'connecting' && client.status !== 'connect') await client.connect();
          }
          const answer = await client.ping();
          if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
        })(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } catch (error) {
      this.client = undefined;
      client.disconnect();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.quit().catch(() => client.disconnect());
  }
}

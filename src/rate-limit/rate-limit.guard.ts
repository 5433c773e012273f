import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { originOf } from '../audit/audit.entry.js';
import { DetachedAuditWriter } from '../audit/detached-audit.writer.js';
import { ProblemException } from '../common/problem.js';
import { accessRule } from '../common/tenant-auth.guard.js';
import { PLANS, Plan } from '../tenants/plans.js';
import { Bucket, BucketState, RateLimitStore } from './rate-limit.store.js';

export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');
const WINDOW_MS = 60_000;

function policy(state: BucketState): string {
  return `"${state.name.split(':')[0]}";q=${state.limit};w=${WINDOW_MS / 1000}`;
}

/**
 * Per API key `rate_limit_per_minute`, and a per-tenant ceiling from the plan that every key and
 * user of the tenant share, so N keys never get N× the plan. Answers carry the IETF RateLimit-Policy
 * and RateLimit headers for the tightest bucket; over a limit → 429 with Retry-After.
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly audited = new Map<string, number>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore | null,
    private readonly audit: DetachedAuditWriter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.store) return true;
    const rule = accessRule(this.reflector, context);
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const auth = request.auth;
    if (!rule || rule.public || !auth) return true;

    const plan = PLANS[(auth.plan as Plan) ?? 'STARTER'] ?? PLANS.STARTER;
    const buckets: Bucket[] = [{ name: `tenant:${auth.tenantId}`, limit: plan.rate_limit_per_minute }];
    if (auth.apiKeyId !== undefined) {
      buckets.unshift({ name: `key:${auth.tenantId}:${auth.apiKeyId}`, limit: auth.rateLimitPerMinute ?? plan.default_key_rate_limit_per_minute });
    }
    const { allowed, states } = await this.store.hit(buckets, WINDOW_MS);
    const refused = states.find((state) => state.retryAfterMs > 0);
    const tightest = refused ?? states.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    const reply = http.getResponse<FastifyReply>();
    reply.header('ratelimit-policy', states.map(policy).join(', '));
    reply.header('ratelimit', `"${tightest.name.split(':')[0]}";r=${tightest.remaining};t=${Math.ceil(tightest.resetMs / 1000)}`);

    if (!allowed && refused) {
      await this.auditRefusal(request, refused);
      const retryAfter = Math.max(1, Math.ceil(refused.retryAfterMs / 1000));
      const which = refused.name.startsWith('key:') ? 'this API key' : "your organization's plan";
      throw new ProblemException(
        429,
        'rate-limited',
        'Too many requests',
        `The rate limit of ${which} (${refused.limit} requests per minute) is exhausted`,
        { limit: refused.limit, window_seconds: WINDOW_MS / 1000, retry_after: retryAfter },
        { 'retry-after': String(retryAfter) },
      );
    }
    return true;
  }

  /**
   * The first refusal of a bucket in each window is audited (detached: the request never gets a
   * transaction). Later ones in the same window are not: a client hammering a closed bucket must
   * not turn every refused request into a database write.
   */
  private async auditRefusal(request: FastifyRequest, state: BucketState): Promise<void> {
    const now = Date.now();
    const mark = `${state.name}`;
    if ((this.audited.get(mark) ?? 0) > now) return;
    if (this.audited.size > 10_000) this.audited.clear();
    this.audited.set(mark, now + WINDOW_MS);
    const auth = request.auth!;
    try {
      await this.audit.write(
        auth.tenantId,
        { action: 'rate_limit.exceeded', resourceType: state.name.startsWith('key:') ? 'api_key' : 'tenant',
          resourceId: auth.apiKeyId ?? auth.tenantId, newValue: { bucket: state.name.split(':')[0], limit: state.limit, window_seconds: WINDOW_MS / 1000 },
          severity: 'WARNING', userId: auth.userId ?? null },
        originOf(request, auth),
      );
    } catch (error) {
      this.logger.warn(`could not audit a rate-limit refusal: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store?.close();
  }
}

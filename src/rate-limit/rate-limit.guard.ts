import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { originOf } from '../audit/audit.entry.js';
import { DetachedAuditWriter } from '../audit/detached-audit.writer.js';
import { ProblemException } from '../common/problem.js';
import { accessRule } from '../common/tenant-auth.guard.js';
import { rateLimitConfig } from '../config/rate-limit.config.js';
import { PLANS, Plan } from '../tenants/plans.js';
import { PUBLIC_RATE_LIMIT, PublicBucket, publicBuckets, type PublicLimit } from './public-rate-limit.js';
import { RateLimitTargetRepository } from './rate-limit-target.repository.js';
import { Bucket, BucketState, RateLimitStore } from './rate-limit.store.js';

export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');
const WINDOW_MS = 60_000;

function policy(state: BucketState): string {
  return `"${state.name.split(':')[0]}";q=${state.limit};w=${state.windowMs / 1000}`;
}

const PUBLIC_SUBJECT: Record<string, string> = {
  ip: 'this client address',
  email: 'this e-mail address',
  subdomain: 'this subdomain',
};

/**
 * Per API key `rate_limit_per_minute`, and a per-tenant ceiling from the plan that every key and
 * user of the tenant share, so N keys never get N× the plan. Public routes marked @PublicRateLimit
 * count per client IP (request.ip: the socket's address, or X-Forwarded-For's with TRUST_PROXY) and
 * per target (e-mail, subdomain). Answers carry the IETF RateLimit-Policy and RateLimit headers for
 * the tightest bucket; over a limit → 429 with Retry-After.
 */
function tooMany(refused: BucketState, detail: string): ProblemException {
  const retryAfter = Math.max(1, Math.ceil(refused.retryAfterMs / 1000));
  return new ProblemException(
    429,
    'rate-limited',
    'Too many requests',
    detail,
    { limit: refused.limit, window_seconds: refused.windowMs / 1000, retry_after: retryAfter },
    { 'retry-after': String(retryAfter) },
  );
}

@Injectable()
export class RateLimitGuard implements CanActivate, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly audited = new Map<string, number>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore | null,
    private readonly audit: DetachedAuditWriter,
    private readonly targets: RateLimitTargetRepository,
    @Inject(rateLimitConfig.KEY) private readonly config: ConfigType<typeof rateLimitConfig>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.store) return true;
    const rule = accessRule(this.reflector, context);
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const auth = request.auth;
    if (rule?.public) return this.limitPublic(context, request);
    if (!rule || !auth) return true;

    const plan = PLANS[(auth.plan as Plan) ?? 'STARTER'] ?? PLANS.STARTER;
    const buckets: Bucket[] = [{ name: `tenant:${auth.tenantId}`, limit: plan.rate_limit_per_minute }];
    if (auth.apiKeyId !== undefined) {
      buckets.unshift({ name: `key:${auth.tenantId}:${auth.apiKeyId}`, limit: auth.rateLimitPerMinute ?? plan.default_key_rate_limit_per_minute });
    }
    const refused = await this.count(http.getResponse<FastifyReply>(), buckets);
    if (refused) {
      await this.auditRefusal(request, refused);
      const which = refused.name.startsWith('key:') ? 'this API key' : "your organization's plan";
      throw tooMany(refused, `The rate limit of ${which} (${refused.limit} requests per minute) is exhausted`);
    }
    return true;
  }

  /** Counts the request in every bucket and sets the RateLimit headers; answers the refusing bucket, if any. */
  private async count(reply: FastifyReply, buckets: Bucket[]): Promise<BucketState | undefined> {
    const { allowed, states } = await this.store!.hit(buckets, WINDOW_MS);
    const refused = states.find((state) => state.retryAfterMs > 0);
    const tightest = refused ?? states.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    reply.header('ratelimit-policy', states.map(policy).join(', '));
    reply.header('ratelimit', `"${tightest.name.split(':')[0]}";r=${tightest.remaining};t=${Math.ceil(tightest.resetMs / 1000)}`);
    return allowed ? undefined : refused;
  }

  private async limitPublic(context: ExecutionContext, request: FastifyRequest): Promise<boolean> {
    const kind = this.reflector.getAllAndOverride<PublicLimit | undefined>(PUBLIC_RATE_LIMIT, [context.getHandler(), context.getClass()]);
    if (!kind) return true;
    const buckets = publicBuckets(kind, request.ip, request.body, this.config.publicLimits);
    const refused = await this.count(context.switchToHttp().getResponse<FastifyReply>(), buckets);
    if (!refused) return true;
    const bucket = buckets.find((b) => b.name === refused.name)!;
    await this.auditPublicRefusal(request, kind, bucket, refused);
    const per = refused.windowMs >= 3_600_000 ? 'hour' : 'minute';
    throw tooMany(refused, `Too many requests for ${PUBLIC_SUBJECT[refused.name.split(':')[0]] ?? 'this client'} (${refused.limit} per ${per}); retry later`);
  }

  /**
   * A refused public request is audited in the trail of each organization its target belongs to (the
   * accounts of the e-mail, the tenant of the subdomain) and logged when it has none (a client
   * address): once per bucket and window across every process (a one-request bucket in the same
   * store decides), so flooding a victim's e-mail writes at most one row per window to its trail.
   */
  private async auditPublicRefusal(request: FastifyRequest, kind: PublicLimit, bucket: PublicBucket, state: BucketState): Promise<void> {
    try {
      const first = await this.store!.hit([{ name: `audited:${bucket.name}`, limit: 1, windowMs: state.windowMs }], WINDOW_MS);
      if (!first.allowed) return;
      const owners = bucket.target ? await this.targets.owners(bucket.target) : [];
      if (owners.length === 0) {
        this.logger.warn(`public rate limit "${bucket.name.split(':')[0]}" of ${kind} exhausted (${state.limit} per ${state.windowMs / 1000} s) from ${request.ip}`);
        return;
      }
      for (const owner of owners) {
        await this.audit.write(
          owner.tenant_id,
          { action: 'rate_limit.exceeded', resourceType: owner.user_id === null ? 'tenant' : 'user', resourceId: owner.user_id ?? owner.tenant_id,
            newValue: { bucket: bucket.name.split(':')[0], route: kind, limit: state.limit, window_seconds: state.windowMs / 1000 },
            severity: 'WARNING', userId: null },
          originOf(request, undefined),
        );
      }
    } catch (error) {
      this.logger.warn(`could not audit a rate-limit refusal: ${(error as Error).message}`);
    }
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

import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config.js';
import { AuthChangeListener } from '../database/auth-change-listener.js';
import { NotifiedCache } from '../database/notified-cache.js';
import { AuthLookupRepository, SubdomainTenant } from './auth-lookup.repository.js';

/**
 * Names no tenant can take: they are our own hosts (www, api, admin, …) or would be confusing or
 * abusable in a tenant URL. Refused at signup and ignored in the Host header.
 */
export const RESERVED_SUBDOMAINS = new Set([
  'www', 'api', 'admin', 'administrator', 'app', 'apps', 'auth', 'login', 'logout', 'signup', 'register', 'account',
  'accounts', 'billing', 'dashboard', 'console', 'portal', 'docs', 'doc', 'help', 'support', 'status', 'blog', 'mail',
  'email', 'smtp', 'imap', 'pop', 'mx', 'ftp', 'sftp', 'ssh', 'vpn', 'ns', 'ns1', 'ns2', 'dns', 'cdn', 'static',
  'assets', 'media', 'img', 'images', 'files', 'download', 'downloads', 'dev', 'staging', 'stage', 'test', 'testing',
  'qa', 'uat', 'demo', 'sandbox', 'internal', 'intranet', 'root', 'system', 'sys', 'operator', 'ops', 'security',
  'secure', 'health', 'metrics', 'monitoring', 'grafana', 'kibana', 'webhook', 'webhooks', 'oauth', 'sso', 'id',
  'identity', 'fraudguard', 'localhost', 'mobile', 'm', 'web', 'public', 'private', 'null', 'undefined',
]);

/**
 * The Host subdomain (`acme.fraudguard.example` → acme), cached the way API keys are. It names a
 * tenant but proves nothing about the caller: it is the tenant hint for login and public routes,
 * and on authenticated routes it must agree with the credential.
 */
@Injectable()
export class SubdomainResolver {
  private readonly tenants: NotifiedCache<SubdomainTenant>;

  constructor(
    private readonly lookup: AuthLookupRepository,
    listener: AuthChangeListener,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {
    this.tenants = new NotifiedCache(listener, config.apiKeyCacheTtlMs, (payload, _key, value) => payload === `tenant:${value.tenant_id}`);
  }

  /** The tenant subdomain named by the request's host, if any (reserved names and foreign hosts name none). */
  subdomainOf(request: FastifyRequest): string | undefined {
    return this.subdomainOfHost(request.hostname);
  }

  /** The same for a host name (`acme.fraudguard.example`, no port), as the public flows receive it. */
  subdomainOfHost(hostname: string | undefined): string | undefined {
    const host = (hostname ?? '').toLowerCase().replace(/\.$/, '');
    const suffix = `.${this.config.tenantBaseDomain}`;
    if (!host.endsWith(suffix)) return undefined;
    const label = host.slice(0, -suffix.length);
    if (!/^[a-z0-9-]{1,64}$/.test(label) || RESERVED_SUBDOMAINS.has(label)) return undefined;
    return label;
  }

  resolve(subdomain: string): Promise<SubdomainTenant | undefined> {
    return this.tenants.get(subdomain, () => this.lookup.tenantBySubdomain(subdomain));
  }
}

/**
 * Generated from openapi.json by openapi-typescript (`npm run openapi`); do not edit.
 */

export interface paths {
    "/api/v1/accounts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List accounts
         * @description Newest first; filter by `status` or find one by `external_ref`.
         *
         *     **Access:** an API key with `read:accounts`, or any user of the organization (Bearer token).
         */
        get: operations["Account_list"];
        put?: never;
        /**
         * Create an account
         * @description `external_ref` is your own reference for the account, unique in the organization. Creating accounts first is optional: a transaction sent with an unknown `account_ref` creates its account.
         *
         *     **Access:** an API key with `write:accounts`, or a user with the MANAGER role or higher (Bearer token).
         */
        post: operations["Account_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/accounts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One account
         * @description By its id (a UUID); to find one by your reference, list with `external_ref`.
         *
         *     **Access:** an API key with `read:accounts`, or any user of the organization (Bearer token).
         */
        get: operations["Account_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List every tenant, with usage
         * @description Newest first; filter by `status`.
         *
         *     **Access:** platform operators (`X-Admin-Token`).
         */
        get: operations["AdminTenant_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/tenants/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One tenant, with usage
         * @description Its plan, limits, status and current usage.
         *
         *     **Access:** platform operators (`X-Admin-Token`).
         */
        get: operations["AdminTenant_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a tenant's plan, limits or status
         * @description `plan` alone also resets the limits to the plan's; limits given explicitly win. `status` SUSPENDED suspends, ACTIVE reactivates, CANCELLED cancels; `extend_trial_days` extends the trial. Audited into the tenant's own trail with `reason`.
         *
         *     **Access:** platform operators (`X-Admin-Token`).
         */
        patch: operations["AdminTenant_update"];
        trace?: never;
    };
    "/api/v1/alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List fraud alerts
         * @description Newest first; `handled=false` is the work queue, `severity` narrows it.
         *
         *     **Access:** an API key with `read:alerts`, or any user of the organization (Bearer token).
         */
        get: operations["Alert_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/alerts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One alert, with its transaction
         * @description The alert and the transaction that raised it, for a reviewer to decide on.
         *
         *     **Access:** an API key with `read:alerts`, or any user of the organization (Bearer token).
         */
        get: operations["Alert_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Resolve, assign or annotate an alert
         * @description Send at least one field; `null` clears `resolution`, `note` or `assignee_id`. A `resolution` marks the alert handled; the change is audited.
         *
         *     **Access:** an API key with `write:alerts`, or a user with the ANALYST role or higher (Bearer token).
         */
        patch: operations["Alert_update"];
        trace?: never;
    };
    "/api/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the organization's API keys
         * @description Never the keys themselves: their display prefix, scopes, limits and last use.
         *
         *     **Access:** a user with the ADMIN role or higher (Bearer token); API keys are refused.
         */
        get: operations["ApiKey_list"];
        put?: never;
        /**
         * Create an API key
         * @description The key (`key`) is in this answer only: store it now. Scopes come from a fixed list and never exceed the creating user's; `rate_limit_per_minute` defaults to the plan's per-key default and is at most the plan's ceiling.
         *
         *     **Access:** a user with the ADMIN role or higher (Bearer token); API keys are refused.
         */
        post: operations["ApiKey_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/api-keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key
         * @description It stops working at once. Revoking a revoked key is a no-op.
         *
         *     **Access:** a user with the ADMIN role or higher (Bearer token); API keys are refused.
         */
        delete: operations["ApiKey_revoke"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/api-keys/{id}/roll": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Replace an API key with a new one
         * @description Issues a new key with the same name, scopes and limit (shown in this answer only); the old one keeps working for `grace_seconds` (default 0: it stops now, at most 7 days) so deployments can switch over.
         *
         *     **Access:** a user with the ADMIN role or higher (Bearer token); API keys are refused.
         */
        post: operations["ApiKey_roll"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit-logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The tenant's audit trail, newest first
         * @description JSON pages by default; `format=csv` or `format=ndjson` streams every matching row as a download.
         *
         *     **Access:** an API key with `read:audit`, or a user with the MANAGER role or higher (Bearer token).
         */
        get: operations["Audit_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit-logs/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Verify the audit trail's hash chain
         * @description Recomputes every sealed row's hash and link: `valid: false` and `first_broken_id` name the first edited, inserted or deleted row.
         *
         *     **Access:** an API key with `read:audit`, or a user with the MANAGER role or higher (Bearer token).
         */
        get: operations["Audit_verify"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/forgot-password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Ask for a password-reset e-mail
         * @description Always 202, whether or not the e-mail is known, so the answer reveals nothing; a known user receives a one-time reset token by e-mail.
         *
         *     **Access:** public: no credentials.
         */
        post: operations["Auth_forgotPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in with e-mail and password
         * @description Answers a short-lived access token (send it as `Authorization: Bearer …`) and a refresh token. When the e-mail belongs to several organizations, send the organization's `subdomain` too (or call the organization's own host).
         *
         *     **Access:** public: no credentials.
         */
        post: operations["Auth_login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End a session
         * @description Revokes the refresh token and its session. An unknown token is not an error: logging out twice is fine.
         *
         *     **Access:** public: no credentials.
         */
        post: operations["Auth_logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for new tokens
         * @description The refresh token is rotated: use the new one next time. Presenting an already used refresh token revokes its whole session.
         *
         *     **Access:** public: no credentials.
         */
        post: operations["Auth_refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/reset-password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Set a new password with a reset token
         * @description The token from the reset e-mail works once. Every session of the user ends: log in again with the new password.
         *
         *     **Access:** public: no credentials.
         */
        post: operations["Auth_resetPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's organization
         * @description Its plan, status, limits and scoring settings (`ml_config`).
         *
         *     **Access:** any API key, or any user of the organization (Bearer token).
         */
        get: operations["Tenant_me"];
        /**
         * Change the organization's settings
         * @description Every field is optional. `ml_config` is merged into the stored one (send `notification_email: null` to stop e-mails); `settings` replaces the stored object.
         *
         *     **Access:** a user with the ADMIN role or higher (Bearer token); API keys are refused.
         */
        put: operations["Tenant_update"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants/signup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign up an organization
         * @description Creates the organization, its first ADMIN user (who can log in at once) and a first API key. The key is shown in this answer only: store it now. Log in as the admin for the routes people use (users, API keys).
         *
         *     **Access:** public: no credentials.
         */
        post: operations["Tenant_signup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The organization's usage against its plan
         * @description Transactions this month against the monthly quota, active users and API keys.
         *
         *     **Access:** a user with the MANAGER role or higher (Bearer token); API keys are refused.
         */
        get: operations["Tenant_usage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/transactions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List transactions
         * @description Newest first; filter by account, time range, status, risk level or minimum amount.
         *
         *     **Access:** an API key with `read:transactions`, or any user of the organization (Bearer token).
         */
        get: operations["Transaction_list"];
        put?: never;
        /**
         * Score and record a transaction
         * @description Scores the transaction against the account's history and the organization's rules, records it, and raises a fraud alert when it is risky. Name the account by your own `account_ref` (created on first use) or by `account_id`. `amount` is a decimal string (or number) with at most the currency's minor units. Send an `Idempotency-Key` to retry safely.
         *
         *     **Access:** an API key with `write:transactions`, or a user with the MANAGER role or higher (Bearer token).
         */
        post: operations["Transaction_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/transactions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One transaction
         * @description With its risk score, the rules that fired (`reasons`) and the alert it raised, if any.
         *
         *     **Access:** an API key with `read:transactions`, or any user of the organization (Bearer token).
         */
        get: operations["Transaction_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/transactions/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Score and record up to 1000 transactions at once
         * @description All or nothing: one invalid item refuses the whole batch, its problem naming the item (`transactions.3.amount`). The answer lists one result per item, in the order sent, with its `index` and `external_id`.
         *
         *     **Access:** an API key with `write:transactions`, or a user with the MANAGER role or higher (Bearer token).
         */
        post: operations["Transaction_createBatch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the organization's users
         * @description Oldest first, a page at a time.
         *
         *     **Access:** a user with the MANAGER role or higher (Bearer token); API keys are refused.
         */
        get: operations["User_list"];
        put?: never;
        /**
         * Add a user
         * @description The user can log in at once with this password. `role` defaults to VIEWER. Counts against the plan's `max_users`.
         *
         *     **Access:** a user with the ADMIN role or higher (Bearer token); API keys are refused.
         */
        post: operations["User_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One user
         * @description A user of the caller's organization; any other id is a 404.
         *
         *     **Access:** a user with the MANAGER role or higher (Bearer token); API keys are refused.
         */
        get: operations["User_get"];
        put?: never;
        post?: never;
        /**
         * Deactivate a user
         * @description The user can no longer log in and every session ends; the row stays for the audit trail.
         *
         *     **Access:** a user with the ADMIN role or higher (Bearer token); API keys are refused.
         */
        delete: operations["User_deactivate"];
        options?: never;
        head?: never;
        /**
         * Change a user's name, role or status
         * @description Every field is optional. Demoting or deactivating the last active ADMIN is refused (409).
         *
         *     **Access:** a user with the ADMIN role or higher (Bearer token); API keys are refused.
         */
        patch: operations["User_update"];
        trace?: never;
    };
    "/api/v1/users/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The logged-in user
         * @description Who the Bearer token belongs to, with the role it grants.
         *
         *     **Access:** any user of the organization (Bearer token); API keys are refused.
         */
        get: operations["User_me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change my password
         * @description Needs the current password. The user's other sessions end; this one goes on.
         *
         *     **Access:** any user of the organization (Bearer token); API keys are refused.
         */
        post: operations["User_changePassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness
         * @description The process answers; nothing else is checked (use it to restart a hung process).
         *
         *     **Access:** public: no credentials.
         */
        get: operations["Health_live"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness
         * @description The database answers as the application role with every migration applied: route traffic here only then. Redis, when configured, is `ok` or `degraded` (an unreachable Redis only degrades the service: the instance stays ready).
         *
         *     **Access:** public: no credentials.
         */
        get: operations["Health_ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Account: {
            /**
             * @description ISO 3166-1 alpha-2
             * @example GB
             */
            country: string | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string;
            /**
             * @description The integrator's reference; transactions take it as account_ref
             * @example cust-1042
             */
            external_ref: string;
            /** @example Ada Lovelace */
            holder_name: string | null;
            /**
             * Format: uuid
             * @example 01936a4e-12ab-7d40-8c11-0a5f2e9b7c33
             */
            id: string;
            /**
             * @example ACTIVE
             * @enum {string}
             */
            status: "ACTIVE" | "FROZEN" | "CLOSED";
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            updated_at: string;
        };
        AccountPage: {
            data: components["schemas"]["Account"][];
            /** @example false */
            has_more: boolean;
            /**
             * @description Pass as starting_after for the next page
             * @example null
             */
            next_cursor: string | null;
        };
        AdminTenant: {
            /** @example admin@acme.example */
            admin_email: string;
            /**
             * @description The admin's full name
             * @example Ada Lovelace
             */
            admin_full_name: string | null;
            /** @example null */
            admin_phone: string | null;
            /** @example null */
            billing_email: string | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string | null;
            /** @example 10 */
            max_storage_gb: number | null;
            /** @example 50000 */
            max_transactions_per_month: number | null;
            /** @example 5 */
            max_users: number | null;
            /**
             * @example {
             *       "auto_block": false,
             *       "notification_email": null,
             *       "risk_threshold": 0.7
             *     }
             */
            ml_config: {
                [key: string]: unknown;
            } | null;
            /** @example Acme Payments */
            organization_name: string;
            /** @enum {string} */
            plan: "STARTER" | "PROFESSIONAL" | "ENTERPRISE";
            /** @example {} */
            settings: {
                [key: string]: unknown;
            } | null;
            /** @enum {string} */
            status: "ACTIVE" | "SUSPENDED" | "TRIAL" | "CANCELLED";
            /** @example null */
            stripe_customer_id: string | null;
            /** @example acme */
            subdomain: string;
            /**
             * @description The organization: an opaque string id of 1–64 characters [A-Za-z0-9_-]
             * @example tenant_Qm9yZ2VzLXRlc3Q
             */
            tenant_id: string;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            trial_ends_at: string | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            updated_at: string | null;
            usage: components["schemas"]["TenantUsage"];
        };
        AdminTenantPage: {
            data: components["schemas"]["AdminTenant"][];
            has_more: boolean;
            next_cursor: string | null;
        };
        AdminTenantPatch: {
            /** @description Extends the trial by this many days from its end (or from now if it already ended); the tenant is put back in TRIAL unless ACTIVE */
            extend_trial_days?: number;
            max_storage_gb?: number;
            max_transactions_per_month?: number;
            max_users?: number;
            /** @enum {string} */
            plan?: "STARTER" | "PROFESSIONAL" | "ENTERPRISE";
            /** @description Why; kept in the tenant audit trail */
            reason?: string;
            /** @enum {string} */
            status?: "ACTIVE" | "SUSPENDED" | "CANCELLED";
        };
        Alert: {
            /**
             * Format: uuid
             * @description The transaction's account
             * @example 01936a4e-12ab-7d40-8c11-0a5f2e9b7c33
             */
            account_id: string;
            /**
             * @description The account's external_ref
             * @example cust-1042
             */
            account_ref: string;
            /**
             * @description A user id
             * @example 7
             */
            assignee_id: number | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string;
            /** @example false */
            handled: boolean;
            /**
             * Format: date-time
             * @example null
             */
            handled_at: string | null;
            /**
             * @description The user who handled it
             * @example null
             */
            handled_by: number | null;
            /**
             * Format: uuid
             * @example 01936a4e-8a10-7b2c-9e3d-4f5a6b7c8d9e
             */
            id: string;
            /**
             * @description Converted from a single-tenant installation: the staff id (of that installation) the alert was assigned to. Read-only.
             * @example null
             */
            legacy_assignee_id: number | null;
            /**
             * @description Converted from a single-tenant installation: the staff id (of that installation) who handled the alert. Read-only.
             * @example null
             */
            legacy_handled_by: number | null;
            /** @example null */
            note: string | null;
            reasons: components["schemas"]["Reason"][];
            /**
             * @example null
             * @enum {string|null}
             */
            resolution: "FRAUD" | "LEGITIMATE" | "DUPLICATE" | "FALSE_POSITIVE" | "INCONCLUSIVE" | null;
            /** @example 0.75 */
            risk_score: number;
            /**
             * @example HIGH
             * @enum {string}
             */
            severity: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
            /**
             * Format: uuid
             * @example 01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d
             */
            transaction_id: string;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            updated_at: string;
        };
        AlertDetail: {
            /**
             * Format: uuid
             * @description The transaction's account
             * @example 01936a4e-12ab-7d40-8c11-0a5f2e9b7c33
             */
            account_id: string;
            /**
             * @description The account's external_ref
             * @example cust-1042
             */
            account_ref: string;
            /**
             * @description A user id
             * @example 7
             */
            assignee_id: number | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string;
            /** @example false */
            handled: boolean;
            /**
             * Format: date-time
             * @example null
             */
            handled_at: string | null;
            /**
             * @description The user who handled it
             * @example null
             */
            handled_by: number | null;
            /**
             * Format: uuid
             * @example 01936a4e-8a10-7b2c-9e3d-4f5a6b7c8d9e
             */
            id: string;
            /**
             * @description Converted from a single-tenant installation: the staff id (of that installation) the alert was assigned to. Read-only.
             * @example null
             */
            legacy_assignee_id: number | null;
            /**
             * @description Converted from a single-tenant installation: the staff id (of that installation) who handled the alert. Read-only.
             * @example null
             */
            legacy_handled_by: number | null;
            /** @example null */
            note: string | null;
            reasons: components["schemas"]["Reason"][];
            /**
             * @example null
             * @enum {string|null}
             */
            resolution: "FRAUD" | "LEGITIMATE" | "DUPLICATE" | "FALSE_POSITIVE" | "INCONCLUSIVE" | null;
            /** @example 0.75 */
            risk_score: number;
            /**
             * @example HIGH
             * @enum {string}
             */
            severity: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
            transaction: components["schemas"]["Transaction"] | null;
            /**
             * Format: uuid
             * @example 01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d
             */
            transaction_id: string;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            updated_at: string;
        };
        AlertPage: {
            data: components["schemas"]["Alert"][];
            /** @example false */
            has_more: boolean;
            /**
             * @description Pass as starting_after for the next page
             * @example null
             */
            next_cursor: string | null;
        };
        ApiKey: {
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string | null;
            /**
             * @description The user who created it
             * @example 7
             */
            created_by: number | null;
            /**
             * Format: date-time
             * @example null
             */
            expires_at: string | null;
            /** @example 3 */
            id: number;
            /** @example true */
            is_active: boolean | null;
            /** @example checkout-service */
            key_name: string;
            /**
             * @description The first characters of the key, to recognise it
             * @example fgk_live_AbCdEfG
             */
            key_prefix: string;
            /**
             * Format: date-time
             * @example null
             */
            last_used_at: string | null;
            /** @example 600 */
            rate_limit_per_minute: number | null;
            /**
             * @example [
             *       "read:transactions",
             *       "write:transactions"
             *     ]
             */
            scopes: ("read:transactions" | "write:transactions" | "read:alerts" | "write:alerts" | "read:accounts" | "write:accounts" | "read:audit")[] | null;
            /**
             * @description The organization (an opaque string id)
             * @example tenant_Qm9yZ2VzLXRlc3Q
             */
            tenant_id: string;
        };
        ApiKeyPage: {
            data: components["schemas"]["ApiKey"][];
            /** @example false */
            has_more: boolean;
            /**
             * @description Pass as starting_after for the next page
             * @example null
             */
            next_cursor: string | null;
        };
        AuditChainVerification: {
            /**
             * @description sealed rows checked
             * @example 1042
             */
            checked: number;
            /**
             * @description id of the first row, in chain order, whose hash, link or position does not match
             * @example null
             */
            first_broken_id: string | null;
            /**
             * @description rows written but not sealed into the chain yet (not checked)
             * @example 0
             */
            pending: number;
            /** @example true */
            valid: boolean;
        };
        AuditLog: {
            /** @example api_key.created */
            action: string;
            /**
             * Format: date-time
             * @description When the change was written (ISO 8601, UTC, microseconds: the instant the hash chain covers)
             * @example 2026-01-15T10:32:01.123456Z
             */
            created_at: string;
            /** @description sha256 over the canonical form of this row, prev_hash included; null until sealed (normally within a second) */
            hash: string | null;
            /**
             * @description A 64-bit integer, as a string (beyond the precision of a JSON number)
             * @example 1042
             */
            id: string;
            /** @example 203.0.113.7 */
            ip_address: string | null;
            /**
             * @example {
             *       "actor": {
             *         "api_key_id": 3,
             *         "api_key_prefix": "fgk_live_AbCdEfG"
             *       },
             *       "key_name": "ci"
             *     }
             */
            new_value: Record<string, never> | null;
            /** @description Secrets are never stored */
            old_value: Record<string, never> | null;
            /** @description hash of the previous row in this tenant's chain (null for the first, and until sealed) */
            prev_hash: string | null;
            request_id: string | null;
            /** @example 12 */
            resource_id: string | null;
            /** @example api_key */
            resource_type: string | null;
            /** @enum {string} */
            severity: "INFO" | "WARNING" | "CRITICAL";
            user_agent: string | null;
            /** @example 7 */
            user_id: number | null;
        };
        AuditLogPage: {
            data: components["schemas"]["AuditLog"][];
            has_more: boolean;
            next_cursor: string | null;
        };
        BatchResult: {
            /**
             * @description Fraud alerts raised
             * @example 0
             */
            alerts: number;
            /**
             * @description Transactions BLOCKED
             * @example 0
             */
            blocked: number;
            /**
             * @description Transactions created
             * @example 2
             */
            count: number;
            data: components["schemas"]["BatchResultItem"][];
        };
        BatchResultItem: {
            /**
             * Format: uuid
             * @description The fraud alert it raised, if any
             * @example null
             */
            alert_id: string | null;
            /**
             * @description The external_id sent with the item, if any
             * @example order-8842
             */
            external_id: string | null;
            /**
             * @description The item's position in the request's transactions[]
             * @example 0
             */
            index: number;
            reasons: components["schemas"]["Reason"][];
            /**
             * @example LOW
             * @enum {string}
             */
            risk_level: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
            /** @example 0.05 */
            risk_score: number;
            /**
             * @example APPROVED
             * @enum {string}
             */
            status: "APPROVED" | "REVIEW" | "BLOCKED";
            /**
             * Format: uuid
             * @example 01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d
             */
            transaction_id: string;
        };
        ChangePassword: {
            current_password: string;
            new_password: string;
        };
        CreateAccount: {
            country?: string;
            external_ref: string;
            holder_name?: string;
            /** @enum {string} */
            status?: "ACTIVE" | "FROZEN" | "CLOSED";
        };
        CreateApiKey: {
            /** @description ISO 8601, in the future; absent = no expiry. */
            expires_at?: string;
            key_name: string;
            /** @description Defaults to the plan's default per-key limit; at most the plan's per-tenant ceiling. */
            rate_limit_per_minute?: number;
            /** @description From the fixed list; never more than the creating user holds. */
            scopes: ("read:transactions" | "write:transactions" | "read:alerts" | "write:alerts" | "read:accounts" | "write:accounts" | "read:audit")[];
        };
        CreatedTransaction: {
            /**
             * Format: uuid
             * @description The account's id
             * @example 01936a4e-12ab-7d40-8c11-0a5f2e9b7c33
             */
            account_id: string;
            /**
             * @description The account's external_ref (the integrator's reference)
             * @example cust-1042
             */
            account_ref: string;
            /**
             * Format: uuid
             * @description The fraud alert it raised, if any
             * @example 01936a4e-8a10-7b2c-9e3d-4f5a6b7c8d9e
             */
            alert_id: string | null;
            /**
             * @description Decimal string with the currency's ISO 4217 minor-unit scale: "129.90" EUR, "1500" JPY, "12.500" KWD
             * @example 129.90
             */
            amount: string;
            /**
             * @description ISO 3166-1 alpha-2
             * @example FR
             */
            country: string | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string;
            /**
             * @description ISO 4217 code
             * @example EUR
             */
            currency: string;
            /** @example device-7f3a */
            device_id: string | null;
            /**
             * @description The integrator's id of the transaction, unique per tenant
             * @example order-8842
             */
            external_id: string | null;
            /**
             * Format: uuid
             * @example 01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d
             */
            id: string;
            /** @example 203.0.113.7 */
            ip_address: string | null;
            /** @example Corner Bakery */
            merchant: string;
            /**
             * @description ISO 18245 merchant category code
             * @example 5411
             */
            merchant_category: string | null;
            /**
             * @example {
             *       "channel": "web"
             *     }
             */
            metadata: {
                [key: string]: unknown;
            } | null;
            reasons: components["schemas"]["Reason"][];
            /**
             * @example HIGH
             * @enum {string|null}
             */
            risk_level: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL" | null;
            /** @example 0.75 */
            risk_score: number | null;
            scoring_config: components["schemas"]["ScoringConfig"] | null;
            /**
             * @example REVIEW
             * @enum {string}
             */
            status: "APPROVED" | "REVIEW" | "BLOCKED";
            /**
             * Format: uuid
             * @deprecated
             * @description The same as id (kept for clients written against the first answer of this route)
             * @example 01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d
             */
            transaction_id: string;
            /**
             * Format: date-time
             * @description When the payment happened (ISO 8601, UTC)
             * @example 2026-03-14T09:26:53.589Z
             */
            txn_time: string;
        };
        CreateTransaction: {
            /** @description An existing account's id. Exactly one of account_id and account_ref. */
            account_id?: string;
            /** @description The integrator's reference (the account's external_ref); the account is created on first use. */
            account_ref?: string;
            /**
             * @description Decimal string ("12.50") or number; > 0; at most the currency's minor units.
             * @example 129.90
             */
            amount: string | number;
            country?: string;
            currency: string;
            device_id?: string;
            external_id?: string;
            ip_address?: string;
            merchant: string;
            merchant_category?: string;
            metadata?: {
                [key: string]: unknown;
            };
            txn_time?: string;
        };
        CreateTransactionBatch: {
            transactions: components["schemas"]["CreateTransaction"][];
        };
        CreateUser: {
            /** Format: email */
            email: string;
            full_name: string;
            /** @description At least 8 characters, an upper-case letter and a digit, not a commonly used password. */
            password: string;
            /** @enum {string} */
            role?: "VIEWER" | "ANALYST" | "MANAGER" | "ADMIN";
        };
        FieldError: {
            /** @example limit */
            field: string;
            /** @example limit must not be greater than 100 */
            message: string;
        };
        ForgotPassword: {
            /** Format: email */
            email: string;
            subdomain?: string;
        };
        IssuedApiKey: {
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string | null;
            /**
             * @description The user who created it
             * @example 7
             */
            created_by: number | null;
            /**
             * Format: date-time
             * @example null
             */
            expires_at: string | null;
            /** @example 3 */
            id: number;
            /** @example true */
            is_active: boolean | null;
            /**
             * @description The key itself: shown in this answer only
             * @example fgk_live_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg
             */
            key: string;
            /** @example checkout-service */
            key_name: string;
            /**
             * @description The first characters of the key, to recognise it
             * @example fgk_live_AbCdEfG
             */
            key_prefix: string;
            /**
             * Format: date-time
             * @example null
             */
            last_used_at: string | null;
            /** @example 600 */
            rate_limit_per_minute: number | null;
            /**
             * @example [
             *       "read:transactions",
             *       "write:transactions"
             *     ]
             */
            scopes: ("read:transactions" | "write:transactions" | "read:alerts" | "write:alerts" | "read:accounts" | "write:accounts" | "read:audit")[] | null;
            /**
             * @description The organization (an opaque string id)
             * @example tenant_Qm9yZ2VzLXRlc3Q
             */
            tenant_id: string;
        };
        Login: {
            /** @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJl */
            access_token: string;
            /**
             * @description Seconds until access_token expires
             * @example 900
             */
            expires_in: number;
            /**
             * @description Seconds until refresh_token expires
             * @example 2592000
             */
            refresh_expires_in: number;
            /** @example fgr_4kT0q1oXbZyq8mG2nE5wLrVj7sA9dCuH3pYfBe6tNiM */
            refresh_token: string;
            /**
             * @example Bearer
             * @enum {string}
             */
            token_type: "Bearer";
            user: components["schemas"]["LoginUser"];
        };
        LoginRequest: {
            /** Format: email */
            email: string;
            password: string;
            /** @description The organization's subdomain; needed only when the e-mail belongs to several organizations. */
            subdomain?: string;
        };
        LoginUser: {
            /**
             * Format: email
             * @example ada@acme.example
             */
            email: string;
            /** @example Ada Lovelace */
            full_name: string | null;
            /** @example 7 */
            id: number;
            /**
             * Format: date-time
             * @example null
             */
            last_login: string | null;
            /**
             * @example ADMIN
             * @enum {string}
             */
            role: "VIEWER" | "ANALYST" | "MANAGER" | "ADMIN";
            /**
             * @description The organization (an opaque string id)
             * @example tenant_Qm9yZ2VzLXRlc3Q
             */
            tenant_id: string;
        };
        MlConfig: {
            auto_block?: boolean;
            /**
             * Format: email
             * @description An e-mail, or null to stop notifications.
             */
            notification_email?: string | null;
            risk_threshold?: number;
        };
        /** @description RFC 9457 problem details; `type` names the problem, extension members depend on it */
        ProblemDetails: {
            /** @example The request is not valid: see errors[] */
            detail?: string;
            /** @description The fields that failed validation */
            errors?: components["schemas"]["FieldError"][];
            /**
             * @description Also in the X-Request-Id response header and the server logs
             * @example 6f1c2a9e-2b51-4a43-9d1e-5f7a1c0e9b2d
             */
            request_id: string;
            /** @example 400 */
            status: number;
            /** @example Validation failed */
            title: string;
            /**
             * @description Identifies the problem type; stable, safe to switch on
             * @example https://fraudguard.example/problems/validation-error
             */
            type: string;
        };
        Reason: {
            /** @example 0.15 */
            contribution: number;
            /** @example country FR not seen on this account before */
            detail: string;
            /**
             * @example NEW_COUNTRY
             * @enum {string}
             */
            rule: "AMOUNT_FAR_ABOVE_USUAL" | "AMOUNT_ABOVE_USUAL" | "VELOCITY_BURST" | "VELOCITY_HOURLY" | "NEW_COUNTRY" | "NEW_DEVICE" | "NEW_MERCHANT" | "HIGH_RISK_MCC" | "ROUND_AMOUNT";
        };
        RefreshToken: {
            refresh_token: string;
        };
        ReplacedApiKey: {
            /**
             * Format: date-time
             * @example 2026-03-14T10:26:53.589Z
             */
            expires_at: string | null;
            /** @example 3 */
            id: number;
            /** @example fgk_live_AbCdEfG */
            key_prefix: string;
        };
        ResetPassword: {
            new_password: string;
            token: string;
        };
        RollApiKey: {
            /** @description How long the old key keeps working (0 = stops now, at most 7 days); never beyond its own expiry. */
            grace_seconds?: number;
        };
        RolledApiKey: {
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string | null;
            /**
             * @description The user who created it
             * @example 7
             */
            created_by: number | null;
            /**
             * Format: date-time
             * @example null
             */
            expires_at: string | null;
            /** @example 3 */
            id: number;
            /** @example true */
            is_active: boolean | null;
            /**
             * @description The key itself: shown in this answer only
             * @example fgk_live_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg
             */
            key: string;
            /** @example checkout-service */
            key_name: string;
            /**
             * @description The first characters of the key, to recognise it
             * @example fgk_live_AbCdEfG
             */
            key_prefix: string;
            /**
             * Format: date-time
             * @example null
             */
            last_used_at: string | null;
            /** @example 600 */
            rate_limit_per_minute: number | null;
            replaces: components["schemas"]["ReplacedApiKey"];
            /**
             * @example [
             *       "read:transactions",
             *       "write:transactions"
             *     ]
             */
            scopes: ("read:transactions" | "write:transactions" | "read:alerts" | "write:alerts" | "read:accounts" | "write:accounts" | "read:audit")[] | null;
            /**
             * @description The organization (an opaque string id)
             * @example tenant_Qm9yZ2VzLXRlc3Q
             */
            tenant_id: string;
        };
        ScoringConfig: {
            /** @example false */
            auto_block: boolean;
            /** @example null */
            notification_email: string | null;
            /** @example 0.7 */
            risk_threshold: number;
            /** @example 1 */
            rules_version: number;
        };
        Signup: {
            /** Format: email */
            admin_email: string;
            /** @description The first ADMIN's full name (the user's full_name). */
            admin_full_name: string;
            /**
             * @deprecated
             * @description The former name of admin_full_name, still accepted in its place
             */
            admin_name?: string;
            /** @description At least 8 characters, an upper-case letter and a digit, not a commonly used password. */
            admin_password: string;
            admin_phone?: string;
            organization_name: string;
            /** @enum {string} */
            plan?: "STARTER" | "PROFESSIONAL" | "ENTERPRISE";
            /** @description Lower-cased; a DNS label of 3–64 characters; reserved names are refused. */
            subdomain: string;
        };
        SignupAdmin: {
            /**
             * Format: email
             * @example admin@acme.example
             */
            email: string;
            /** @example Ada Lovelace */
            full_name: string | null;
            /** @example 1 */
            id: number;
            /**
             * @example ADMIN
             * @enum {string}
             */
            role: "ADMIN";
        };
        SignupResult: {
            /** @example admin@acme.example */
            admin_email: string;
            /**
             * @description The admin's full name
             * @example Ada Lovelace
             */
            admin_full_name: string | null;
            /** @example null */
            admin_phone: string | null;
            admin_user: components["schemas"]["SignupAdmin"];
            /**
             * @description The default API key: shown in this answer only
             * @example fgk_live_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg
             */
            api_key: string;
            /** @example 1 */
            api_key_id: number;
            /** @example null */
            billing_email: string | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string | null;
            /** @example 10 */
            max_storage_gb: number | null;
            /** @example 50000 */
            max_transactions_per_month: number | null;
            /** @example 5 */
            max_users: number | null;
            /**
             * @example {
             *       "auto_block": false,
             *       "notification_email": null,
             *       "risk_threshold": 0.7
             *     }
             */
            ml_config: {
                [key: string]: unknown;
            } | null;
            /** @example Acme Payments */
            organization_name: string;
            /** @enum {string} */
            plan: "STARTER" | "PROFESSIONAL" | "ENTERPRISE";
            /** @example {} */
            settings: {
                [key: string]: unknown;
            } | null;
            /** @enum {string} */
            status: "ACTIVE" | "SUSPENDED" | "TRIAL" | "CANCELLED";
            /** @example null */
            stripe_customer_id: string | null;
            /** @example acme */
            subdomain: string;
            /**
             * @description The organization: an opaque string id of 1–64 characters [A-Za-z0-9_-]
             * @example tenant_Qm9yZ2VzLXRlc3Q
             */
            tenant_id: string;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            trial_ends_at: string | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            updated_at: string | null;
        };
        Tenant: {
            /** @example admin@acme.example */
            admin_email: string;
            /**
             * @description The admin's full name
             * @example Ada Lovelace
             */
            admin_full_name: string | null;
            /** @example null */
            admin_phone: string | null;
            /** @example null */
            billing_email: string | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string | null;
            /** @example 10 */
            max_storage_gb: number | null;
            /** @example 50000 */
            max_transactions_per_month: number | null;
            /** @example 5 */
            max_users: number | null;
            /**
             * @example {
             *       "auto_block": false,
             *       "notification_email": null,
             *       "risk_threshold": 0.7
             *     }
             */
            ml_config: {
                [key: string]: unknown;
            } | null;
            /** @example Acme Payments */
            organization_name: string;
            /** @enum {string} */
            plan: "STARTER" | "PROFESSIONAL" | "ENTERPRISE";
            /** @example {} */
            settings: {
                [key: string]: unknown;
            } | null;
            /** @enum {string} */
            status: "ACTIVE" | "SUSPENDED" | "TRIAL" | "CANCELLED";
            /** @example null */
            stripe_customer_id: string | null;
            /** @example acme */
            subdomain: string;
            /**
             * @description The organization: an opaque string id of 1–64 characters [A-Za-z0-9_-]
             * @example tenant_Qm9yZ2VzLXRlc3Q
             */
            tenant_id: string;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            trial_ends_at: string | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            updated_at: string | null;
        };
        TenantUpdate: {
            /** Format: email */
            admin_email?: string;
            admin_full_name?: string;
            /**
             * @deprecated
             * @description The former name of admin_full_name, still accepted in its place
             */
            admin_name?: string;
            /** @description A phone number, or null to clear it. */
            admin_phone?: string | null;
            ml_config?: components["schemas"]["MlConfig"];
            organization_name?: string;
            settings?: {
                [key: string]: unknown;
            };
        };
        TenantUsage: {
            accounts: number;
            active_api_keys: number;
            active_users: number;
            open_alerts: number;
            transactions_this_month: number;
        };
        TokenPair: {
            /** @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJl */
            access_token: string;
            /**
             * @description Seconds until access_token expires
             * @example 900
             */
            expires_in: number;
            /**
             * @description Seconds until refresh_token expires
             * @example 2592000
             */
            refresh_expires_in: number;
            /** @example fgr_4kT0q1oXbZyq8mG2nE5wLrVj7sA9dCuH3pYfBe6tNiM */
            refresh_token: string;
            /**
             * @example Bearer
             * @enum {string}
             */
            token_type: "Bearer";
        };
        Transaction: {
            /**
             * Format: uuid
             * @description The account's id
             * @example 01936a4e-12ab-7d40-8c11-0a5f2e9b7c33
             */
            account_id: string;
            /**
             * @description The account's external_ref (the integrator's reference)
             * @example cust-1042
             */
            account_ref: string;
            /**
             * Format: uuid
             * @description The fraud alert it raised, if any
             * @example 01936a4e-8a10-7b2c-9e3d-4f5a6b7c8d9e
             */
            alert_id: string | null;
            /**
             * @description Decimal string with the currency's ISO 4217 minor-unit scale: "129.90" EUR, "1500" JPY, "12.500" KWD
             * @example 129.90
             */
            amount: string;
            /**
             * @description ISO 3166-1 alpha-2
             * @example FR
             */
            country: string | null;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string;
            /**
             * @description ISO 4217 code
             * @example EUR
             */
            currency: string;
            /** @example device-7f3a */
            device_id: string | null;
            /**
             * @description The integrator's id of the transaction, unique per tenant
             * @example order-8842
             */
            external_id: string | null;
            /**
             * Format: uuid
             * @example 01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d
             */
            id: string;
            /** @example 203.0.113.7 */
            ip_address: string | null;
            /** @example Corner Bakery */
            merchant: string;
            /**
             * @description ISO 18245 merchant category code
             * @example 5411
             */
            merchant_category: string | null;
            /**
             * @example {
             *       "channel": "web"
             *     }
             */
            metadata: {
                [key: string]: unknown;
            } | null;
            reasons: components["schemas"]["Reason"][];
            /**
             * @example HIGH
             * @enum {string|null}
             */
            risk_level: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL" | null;
            /** @example 0.75 */
            risk_score: number | null;
            scoring_config: components["schemas"]["ScoringConfig"] | null;
            /**
             * @example REVIEW
             * @enum {string}
             */
            status: "APPROVED" | "REVIEW" | "BLOCKED";
            /**
             * Format: date-time
             * @description When the payment happened (ISO 8601, UTC)
             * @example 2026-03-14T09:26:53.589Z
             */
            txn_time: string;
        };
        TransactionPage: {
            data: components["schemas"]["Transaction"][];
            /** @example false */
            has_more: boolean;
            /**
             * @description Pass as starting_after for the next page
             * @example null
             */
            next_cursor: string | null;
        };
        UpdateAlert: {
            /** @description A user of this tenant. */
            assignee_id?: number | null;
            handled?: boolean;
            note?: string | null;
            /** @enum {string|null} */
            resolution?: "FRAUD" | "LEGITIMATE" | "DUPLICATE" | "FALSE_POSITIVE" | "INCONCLUSIVE" | null;
        };
        UpdateUser: {
            full_name?: string;
            is_active?: boolean;
            /** @enum {string} */
            role?: "VIEWER" | "ANALYST" | "MANAGER" | "ADMIN";
        };
        Usage: {
            /** @example 3 */
            active_users: number;
            /** @example 10 */
            storage_limit_gb: number | null;
            /** @example 1048576 */
            storage_used_bytes: number;
            /** @example 0.000976563 */
            storage_used_gb: number;
            /** @example 50000 */
            transactions_limit: number | null;
            /**
             * @description Percent of the monthly limit used (0 without a limit)
             * @example 2.47
             */
            transactions_percentage: number;
            /** @example 1234 */
            transactions_this_month: number;
            /** @example 5 */
            users_limit: number | null;
        };
        User: {
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            created_at: string | null;
            /**
             * Format: email
             * @example ada@acme.example
             */
            email: string;
            /** @example false */
            email_verified: boolean | null;
            /** @example Ada Lovelace */
            full_name: string | null;
            /** @example 7 */
            id: number;
            /** @example true */
            is_active: boolean | null;
            /**
             * Format: date-time
             * @example null
             */
            last_login: string | null;
            /**
             * @example ANALYST
             * @enum {string}
             */
            role: "VIEWER" | "ANALYST" | "MANAGER" | "ADMIN";
            /**
             * @description The organization (an opaque string id)
             * @example tenant_Qm9yZ2VzLXRlc3Q
             */
            tenant_id: string;
            /**
             * Format: date-time
             * @example 2026-03-14T09:26:53.589Z
             */
            updated_at: string | null;
        };
        UserPage: {
            data: components["schemas"]["User"][];
            /** @example false */
            has_more: boolean;
            /**
             * @description Pass as starting_after for the next page
             * @example null
             */
            next_cursor: string | null;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description `true` when the answer is the stored answer of an earlier request with the same Idempotency-Key */
        "Idempotent-Replayed": "true";
        /** @description IETF RateLimit: the tightest bucket, its remaining requests and seconds until it refills, e.g. `"key";r=598;t=60` */
        RateLimit: string;
        /** @description IETF RateLimit-Policy: every bucket that applies (the API key and the organization), e.g. `"key";q=600;w=60, "tenant";q=6000;w=60` */
        "RateLimit-Policy": string;
        /** @description Seconds to wait before retrying */
        "Retry-After": number;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    Account_list: {
        parameters: {
            query?: {
                external_ref?: string;
                limit?: number;
                /** @description The next_cursor of the previous page */
                starting_after?: string;
                status?: "ACTIVE" | "FROZEN" | "CLOSED";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountPage"];
                };
            };
            /** @description Validation failed; Invalid cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Account_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string (a UUID is a good choice), 1–255 printable ASCII characters. Retrying with the same key and the same request replays the stored answer (header `Idempotent-Replayed: true`) and writes nothing; the same key with another request → 422; while the first request with it still runs → 409. */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateAccount"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            /** @description Invalid Idempotency-Key; Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Duplicate external_ref; Request in flight */
            409: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Idempotency-Key reused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Account_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            /** @description Validation failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    AdminTenant_list: {
        parameters: {
            query?: {
                limit?: number;
                /** @description The next_cursor of the previous page */
                starting_after?: string;
                status?: "ACTIVE" | "SUSPENDED" | "TRIAL" | "CANCELLED";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminTenantPage"];
                };
            };
            /** @description Validation failed; Invalid cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    AdminTenant_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminTenant"];
                };
            };
            /** @description Validation failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    AdminTenant_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminTenantPatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminTenant"];
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Alert_list: {
        parameters: {
            query?: {
                /** @description created_at >= from */
                from?: string;
                handled?: boolean;
                limit?: number;
                severity?: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
                /** @description The next_cursor of the previous page */
                starting_after?: string;
                /** @description created_at < to */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AlertPage"];
                };
            };
            /** @description Validation failed; Invalid cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Alert_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AlertDetail"];
                };
            };
            /** @description Validation failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Alert_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateAlert"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Alert"];
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Invalid alert change; Unknown assignee */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    ApiKey_list: {
        parameters: {
            query?: {
                limit?: number;
                /** @description The next_cursor of the previous page */
                starting_after?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyPage"];
                };
            };
            /** @description Validation failed; Invalid cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    ApiKey_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateApiKey"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IssuedApiKey"];
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Scopes beyond your own; Plan limit reached; Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    ApiKey_revoke: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    ApiKey_roll: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id */
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RollApiKey"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RolledApiKey"];
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description API key inactive */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Audit_list: {
        parameters: {
            query?: {
                action?: string;
                /** @description `csv` and `ndjson` stream every matching row (no pagination: `limit` and `starting_after` are ignored) */
                format?: "json" | "csv" | "ndjson";
                /** @description Rows at or after this instant (ISO 8601) */
                from?: string;
                limit?: number;
                resource_id?: string;
                resource_type?: string;
                /** @description The next_cursor of the previous page */
                starting_after?: string;
                /** @description Rows strictly before this instant (ISO 8601) */
                to?: string;
                user_id?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of audit rows, or the whole filtered trail as CSV / NDJSON */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditLogPage"];
                    "application/x-ndjson": string;
                    "text/csv": string;
                };
            };
            /** @description Validation failed; Invalid cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Audit_verify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditChainVerification"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Auth_forgotPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ForgotPassword"];
            };
        };
        responses: {
            /** @description Taken into account; a known user receives an e-mail */
            202: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "accepted";
                    };
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Auth_login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Login"];
                };
            };
            /** @description Organization required; Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests; Too many failed logins */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Auth_logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshToken"];
            };
        };
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Auth_refresh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshToken"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Invalid refresh token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Auth_resetPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ResetPassword"];
            };
        };
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid reset token; Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Tenant_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Tenant"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Tenant_update: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TenantUpdate"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Tenant"];
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Tenant_signup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Signup"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SignupResult"];
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Signup disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Subdomain taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Tenant_usage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Usage"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Transaction_list: {
        parameters: {
            query?: {
                /** @description Any uuid PostgreSQL accepts; handed on in its canonical form. */
                account_id?: string;
                /** @description txn_time >= from */
                from?: string;
                limit?: number;
                min_amount?: string;
                risk_level?: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
                /** @description The next_cursor of the previous page */
                starting_after?: string;
                status?: "APPROVED" | "REVIEW" | "BLOCKED";
                /** @description txn_time < to */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TransactionPage"];
                };
            };
            /** @description Validation failed; Invalid cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Transaction_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string (a UUID is a good choice), 1–255 printable ASCII characters. Retrying with the same key and the same request replays the stored answer (header `Idempotent-Replayed: true`) and writes nothing; the same key with another request → 422; while the first request with it still runs → 409. */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTransaction"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedTransaction"];
                };
            };
            /** @description Invalid Idempotency-Key; Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Duplicate external_id; Request in flight */
            409: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Idempotency-Key reused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Monthly transaction quota exceeded; Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Transaction_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transaction"];
                };
            };
            /** @description Validation failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Transaction_createBatch: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique string (a UUID is a good choice), 1–255 printable ASCII characters. Retrying with the same key and the same request replays the stored answer (header `Idempotent-Replayed: true`) and writes nothing; the same key with another request → 422; while the first request with it still runs → 409. */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTransactionBatch"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchResult"];
                };
            };
            /** @description Invalid Idempotency-Key; Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid API key; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Insufficient scope; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Duplicate external_id; Request in flight */
            409: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Idempotency-Key reused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Monthly transaction quota exceeded; Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    User_list: {
        parameters: {
            query?: {
                limit?: number;
                /** @description The next_cursor of the previous page */
                starting_after?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserPage"];
                };
            };
            /** @description Validation failed; Invalid cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    User_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateUser"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Plan limit reached; Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description E-mail taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    User_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Validation failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    User_deactivate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Last administrator */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    User_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id */
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateUser"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Plan limit reached; Forbidden; Insufficient role; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Last administrator */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    User_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    User_changePassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangePassword"];
            };
        };
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Wrong current password; Validation failed; Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unauthorized; Invalid token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Forbidden; Tenant mismatch; Tenant suspended */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Payload Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
    Health_live: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @example ok */
                        status?: string;
                    };
                };
            };
        };
    };
    Health_ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @example ok */
                        database?: string;
                        /** @example ok */
                        redis?: string;
                        /** @example ready */
                        status?: string;
                    };
                };
            };
            /** @description Not ready; Service Unavailable */
            503: {
                headers: {
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetails"];
                };
            };
        };
    };
}

/** The request-context benchmark's variants (server.mjs builds them): how the request's transaction reaches the repository. */
export const VARIANTS = {
  floor: 'no request context: the interceptor puts the manager on the request, the controller passes it to the service and the repository as an argument',
  'request-scope': 'Nest `Scope.REQUEST` repository with `REQUEST` injected (so its service and controller are request-scoped too)',
  cls: 'nestjs-cls + @nestjs-cls/transactional, our one-round-trip adapter, context opened by `withTransaction` in the interceptor (as the app)',
  'cls-middleware': 'as `cls`, plus `ClsMiddleware` mounted (`middleware: { mount: true }`)',
  'cls-guard': 'as `cls`, plus `ClsGuard` mounted (`guard: { mount: true }`)',
  'cls-interceptor': 'as `cls`, plus `ClsInterceptor` mounted (`interceptor: { mount: true }`)',
  'cls-typeorm-stock': 'nestjs-cls + @nestjs-cls/transactional-adapter-typeorm (stock): `START TRANSACTION`, then `set_config` as a statement of its own',
};

export const VARIANT_NAMES = Object.keys(VARIANTS);

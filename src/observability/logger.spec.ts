import { Writable } from 'node:stream';
import { createLogger, LazyChildLogger } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

describe('LazyChildLogger', () => {
  it('makes no child while nothing is logged at an enabled level, then logs with the bindings', () => {
    const { lines, stream } = capture();
    const parent = createLogger('info', stream);
    let children = 0;
    const makeChild = parent.child.bind(parent);
    parent.child = ((...args: Parameters<typeof makeChild>) => (children++, makeChild(...args))) as typeof parent.child;
    const log = new LazyChildLogger(parent, { request_id: 'r-1' }, {});
    log.debug('below the level');
    expect(log.isLevelEnabled('debug')).toBe(false);
    expect(log.level).toBe('info');
    expect(children).toBe(0);

    log.info({ route: '/x' }, 'answered');
    log.warn('again');
    expect(children).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', request_id: 'r-1', route: '/x', msg: 'answered' }),
      expect.objectContaining({ level: 'warn', request_id: 'r-1', msg: 'again' }),
    ]);
  });

  it('keeps redaction and nests children under its bindings', () => {
    const { lines, stream } = capture();
    const log = new LazyChildLogger(createLogger('debug', stream), { request_id: 'r-2' }, {});
    log.child({ tenant_id: 't-1' }).debug({ headers: { 'x-api-key': 'fg_live_secret' } }, 'probe');
    expect(lines).toEqual([expect.objectContaining({ request_id: 'r-2', tenant_id: 't-1', headers: { 'x-api-key': '[REDACTED]' } })]);
  });

  it("honours a route's own level from the start", () => {
    const { lines, stream } = capture();
    const log = new LazyChildLogger(createLogger('warn', stream), { request_id: 'r-4' }, { level: 'debug' });
    expect(log.isLevelEnabled('debug')).toBe(true);
    log.debug('route-level debug');
    expect(lines).toEqual([expect.objectContaining({ level: 'debug', request_id: 'r-4', msg: 'route-level debug' })]);
  });

  it('follows a level set on it', () => {
    const { lines, stream } = capture();
    const log = new LazyChildLogger(createLogger('warn', stream), { request_id: 'r-3' }, {});
    log.level = 'debug';
    log.debug('now visible');
    expect(lines).toEqual([expect.objectContaining({ level: 'debug', request_id: 'r-3' })]);
  });
});
